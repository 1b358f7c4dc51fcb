using Google.Protobuf;
using Grpc.Core;

namespace GrpcPlugins;

/// <summary>
/// A read-only <see cref="Stream"/> over the chunks of a gRPC message stream, such as the chunks of a
/// Store call on the plugin side or of a Retrieve call on the host side. It holds one chunk at a time,
/// so memory stays flat whatever the content's size.
/// </summary>
/// <typeparam name="TMessage">The message type of the gRPC stream.</typeparam>
public sealed class ChunkReadStream<TMessage> : Stream
    where TMessage : class
{
    private readonly IAsyncStreamReader<TMessage> _reader;
    private readonly Func<TMessage, ByteString?> _chunkOf;
    private readonly Func<Exception, Exception>? _translateError;
    private ReadOnlyMemory<byte> _current = ReadOnlyMemory<byte>.Empty;
    private bool _ended;
    private long _position;

    /// <summary>Creates the stream.</summary>
    /// <param name="reader">The gRPC stream to read chunks from.</param>
    /// <param name="chunkOf">Returns a message's chunk, or null for a message that carries none (which is an error after the first).</param>
    /// <param name="translateError">Turns a failure of the underlying call into the exception the reader should see; null keeps it as it is.</param>
    public ChunkReadStream(IAsyncStreamReader<TMessage> reader, Func<TMessage, ByteString?> chunkOf, Func<Exception, Exception>? translateError = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(chunkOf);
        _reader = reader;
        _chunkOf = chunkOf;
        _translateError = translateError;
    }

    /// <inheritdoc />
    public override bool CanRead => true;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => false;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <summary>How many bytes have been read so far.</summary>
    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (_current.IsEmpty)
        {
            if (_ended || !await MoveNextAsync(cancellationToken).ConfigureAwait(false))
            {
                _ended = true;
                return 0;
            }

            var chunk = _chunkOf(_reader.Current)
                ?? throw new PluginException(PluginErrorCode.InvalidArgument, "Expected a chunk message, but the stream sent another kind of message after its first.");
            _current = chunk.Memory;
        }

        var count = Math.Min(buffer.Length, _current.Length);
        _current[..count].CopyTo(buffer);
        _current = _current[count..];
        _position += count;
        return count;
    }

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private async Task<bool> MoveNextAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _reader.MoveNext(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (_translateError is not null && ex is not PluginException)
        {
            throw _translateError(ex);
        }
    }
}
