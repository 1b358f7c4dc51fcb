using Google.Protobuf;
using Grpc.Core;
using GrpcPlugins.Http.V1;

namespace GrpcPlugins.Sdk;

/// <summary>
/// An HTTP response a route plugin writes: set <see cref="StatusCode"/> and <see cref="Headers"/>, then write
/// <see cref="Body"/>. The head goes to the host with the first body bytes, or when the handler returns.
/// </summary>
public sealed class HttpPluginResponse
{
    private readonly IServerStreamWriter<HandleResponse> _writer;
    private readonly CancellationToken _cancellationToken;
    private bool _headSent;

    internal HttpPluginResponse(IServerStreamWriter<HandleResponse> writer, CancellationToken cancellationToken)
    {
        _writer = writer;
        _cancellationToken = cancellationToken;
        Body = new BodyStream(this);
    }

    /// <summary>The status code. Defaults to 200.</summary>
    public int StatusCode { get; set; } = 200;

    /// <summary>The response headers; a header with several values is added several times.</summary>
    public IList<KeyValuePair<string, string>> Headers { get; } = [];

    /// <summary>The response body; writing it sends the head first. Chunks over 64 KiB are split.</summary>
    public Stream Body { get; }

    /// <summary>Whether the head has been sent, after which the status and headers can no longer change.</summary>
    public bool HasStarted => _headSent;

    /// <summary>Sends the head if it has not been sent yet.</summary>
    /// <returns>A task that completes when the head is sent.</returns>
    public async Task StartAsync()
    {
        if (_headSent)
        {
            return;
        }

        var head = new ResponseHead { Status = StatusCode };
        head.Headers.Add(Headers.Select(h => new Header { Name = h.Key, Value = h.Value }));
        _headSent = true;
        await _writer.WriteAsync(new HandleResponse { Head = head }, _cancellationToken).ConfigureAwait(false);
    }

    internal Task CompleteAsync() => StartAsync();

    private async Task WriteBodyAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await StartAsync().ConfigureAwait(false);
        while (!data.IsEmpty)
        {
            var count = Math.Min(data.Length, ChunkWriter.DefaultChunkSize);
            await _writer.WriteAsync(new HandleResponse { Body = ByteString.CopyFrom(data.Span[..count]) }, cancellationToken).ConfigureAwait(false);
            data = data[count..];
        }
    }

    private sealed class BodyStream(HttpPluginResponse owner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            owner.WriteBodyAsync(buffer.AsMemory(offset, count), cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            new(owner.WriteBodyAsync(buffer, cancellationToken));
    }
}
