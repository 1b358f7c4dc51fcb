using System.Net.Sockets;
using Google.Protobuf;
using Grpc.Core;
using GrpcPlugins.Internal;
using GrpcPlugins.Storage.V1;
using Microsoft.Win32.SafeHandles;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>
/// A Store call's request stream whose chunks come from a data-channel connection: the first message (the metadata)
/// from gRPC, then one chunk message per read of the connection. <see cref="Content"/> reads the same bytes as a stream
/// without making messages, which is what <see cref="StorageStreams.ReadStoreAsync"/> hands to the author. When the host
/// accepts files (<see cref="PluginProtocol.DataChannelFilesHeader"/>), the connection begins with a mode byte: the first
/// read of <see cref="Content"/> sends the bytes mode, and <see cref="PassFileAsync"/> the file mode instead.
/// </summary>
internal sealed class DataChannelStoreReader(IAsyncStreamReader<StoreRequest> call, Socket connection, bool filesAccepted) : IAsyncStreamReader<StoreRequest>
{
    private bool _firstRead;
    private bool _modeSent = !filesAccepted;
    private Stream? _content;

    public StoreRequest Current { get; private set; } = null!;

    /// <summary>The end-marker check under this reader, when the host promised a StoreEnd.</summary>
    public StoreEndReader? EndCheck => call as StoreEndReader;

    /// <summary>Whether the host accepts a file to write the content into, and the content was not read as bytes yet.</summary>
    public bool CanPassFile => !_modeSent && EndCheck is not null;

    /// <summary>The content after the first message; it ends only when the host has completed the call cleanly.</summary>
    public Stream Content => _content ??= new BytesModeFirst(this, call is StoreEndReader tally
        ? tally.Tally(new DataChannelStream(connection, new StoreCallEnd(call)))
        : new DataChannelStream(connection, new StoreCallEnd(call)));

    /// <summary>
    /// Passes <paramref name="file"/> (writable, empty) to the host, which writes the content into it, and returns the
    /// call's StoreEnd once the host has closed its descriptor; the caller checks the file against it.
    /// </summary>
    public async Task<StoreEnd> PassFileAsync(SafeFileHandle file, long maxBytes, CancellationToken cancellationToken)
    {
        if (!CanPassFile)
        {
            throw new InvalidOperationException("The host did not ask for a file, or the content was already read as bytes.");
        }

        _modeSent = true;
        try
        {
            DataChannelFiles.SendWritableFile(connection, file, maxBytes);
        }
        catch (SocketException ex)
        {
            throw HostWentAway("Store", ex);
        }

        return await EndCheck!.ReadPassedFileEndAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        if (!_firstRead)
        {
            _firstRead = true;
            if (!await call.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            Current = call.Current;
            return true;
        }

        var buffer = new byte[ChunkWriter.DefaultChunkSize];
        var read = await Content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return false;
        }

        Current = new StoreRequest { Chunk = UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(0, read)) };
        return true;
    }

    /// <summary>
    /// The error of a call whose host closed the data channel before the content ended, as a host does when its own
    /// client goes away: the host cancelled, so it is not the plugin's failure.
    /// </summary>
    internal static PluginException HostWentAway(string method, SocketException failure) =>
        new(PluginErrorCode.Cancelled, $"The host closed the data channel of this {method} call before the content ended ({failure.SocketErrorCode}).")
        {
            ErrorSource = PluginErrorSource.Host,
        };

    private async ValueTask SendBytesModeAsync(CancellationToken cancellationToken)
    {
        if (_modeSent)
        {
            return;
        }

        _modeSent = true;
        try
        {
            await DataChannelFiles.SendBytesModeAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw HostWentAway("Store", ex);
        }
    }

    // Sends the bytes mode, when the host awaits a mode, before the first read of the content.
    private sealed class BytesModeFirst(DataChannelStoreReader reader, Stream inner) : ReadOnlyStream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await reader.SendBytesModeAsync(cancellationToken).ConfigureAwait(false);
            return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    private sealed class StoreCallEnd(IAsyncStreamReader<StoreRequest> call) : DataChannelEnd
    {
        public override async ValueTask ConfirmAsync(CancellationToken cancellationToken)
        {
            if (await call.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                throw new PluginException(
                    PluginErrorCode.InvalidArgument,
                    "The host sent chunk messages on the Store call as well as bytes on its data channel; send the content one way only.")
                {
                    ErrorSource = PluginErrorSource.Host,
                };
            }
        }

        public override ValueTask<Exception> ExplainAsync(SocketException failure) =>
            ValueTask.FromResult<Exception>(HostWentAway("Store", failure));
    }
}

/// <summary>
/// A Retrieve call's response stream that sends chunk messages' bytes over a data-channel connection and everything
/// else (the metadata) as gRPC messages. When the host accepts files (<see cref="PluginProtocol.DataChannelFilesHeader"/>),
/// the connection begins with a mode byte, and content that is a file (a seekable <see cref="FileStream"/>) goes as its
/// open descriptor instead of its bytes: the host reads it itself (<see cref="DataChannelFiles"/>).
/// </summary>
internal sealed class DataChannelRetrieveWriter(IServerStreamWriter<RetrieveResponse> call, Socket connection, bool filesAccepted) : IServerStreamWriter<RetrieveResponse>
{
    private bool _modeSent = !filesAccepted;

    public WriteOptions? WriteOptions
    {
        get => call.WriteOptions;
        set => call.WriteOptions = value;
    }

    public Task WriteAsync(RetrieveResponse message) => WriteAsync(message, CancellationToken.None);

    public async Task WriteAsync(RetrieveResponse message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.PartCase == RetrieveResponse.PartOneofCase.Chunk)
        {
            try
            {
                await SendBytesModeAsync(cancellationToken).ConfigureAwait(false);
                await DataChannel.SendAllAsync(connection, message.Chunk.Memory, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                throw DataChannelStoreReader.HostWentAway("Retrieve", ex);
            }
        }
        else
        {
            await call.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends <paramref name="content"/> (up to <paramref name="maxBytes"/>) straight to the connection, without chunk
    /// messages; or, when the host accepts files and the content is one, passes the open file and the range to read.
    /// </summary>
    public async Task<long> CopyAsync(Stream content, long? maxBytes, CancellationToken cancellationToken)
    {
        try
        {
            if (!_modeSent && content is FileStream { CanSeek: true, CanRead: true } file)
            {
                _modeSent = true;
                var offset = file.Position;
                var length = Math.Max(0, Math.Min(maxBytes ?? long.MaxValue, file.Length - offset));
                DataChannelFiles.SendFile(connection, file.SafeFileHandle, offset, length);
                return length;
            }

            await SendBytesModeAsync(cancellationToken).ConfigureAwait(false);
            return await DataChannel.SendAsync(content, connection, maxBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw DataChannelStoreReader.HostWentAway("Retrieve", ex);
        }
    }

    private async ValueTask SendBytesModeAsync(CancellationToken cancellationToken)
    {
        if (!_modeSent)
        {
            _modeSent = true;
            await DataChannelFiles.SendBytesModeAsync(connection, cancellationToken).ConfigureAwait(false);
        }
    }
}
