using Grpc.Core;
using GrpcPlugins.Sdk;
using GrpcPlugins.Storage.V1;
using GrpcPlugins.TestSupport;

namespace GrpcPlugins.Benchmarks.Internal;

/// <summary>
/// A storage plugin that touches no disk, to measure the stream path alone: Store counts and discards what
/// it receives; Retrieve of id "zeros:N" sends N zero bytes. The benchmark process serves it as "plugin discard".
/// </summary>
internal sealed class DiscardStorage : StorageService.StorageServiceBase
{
    public const string ZerosPrefix = "zeros:";

    public override async Task<StoreResponse> Store(IAsyncStreamReader<StoreRequest> requestStream, ServerCallContext context)
    {
        var upload = await requestStream.ReadStoreAsync(context.CancellationToken);
        var buffer = new byte[256 * 1024];
        long total = 0;
        int read;
        while ((read = await upload.Content.ReadAsync(buffer, context.CancellationToken)) > 0)
        {
            total += read;
        }

        return new StoreResponse { Id = "discarded", Metadata = new ObjectMetadata { Name = "discarded", Size = total } };
    }

    public override async Task Retrieve(RetrieveRequest request, IServerStreamWriter<RetrieveResponse> responseStream, ServerCallContext context)
    {
        if (!request.Id.StartsWith(ZerosPrefix, StringComparison.Ordinal) || !long.TryParse(request.Id[ZerosPrefix.Length..], out var size))
        {
            throw new PluginException(PluginErrorCode.NotFound, $"Only '{ZerosPrefix}<bytes>' can be retrieved from the discard plugin, not '{request.Id}'.");
        }

        var metadata = new ObjectMetadata { Name = request.Id, Size = size };
        await responseStream.WriteRetrieveAsync(metadata, new ZeroStream(size), null, context.CancellationToken);
    }

    /// <summary>Serves the plugin; called when the benchmark process is started as "plugin discard".</summary>
    public static Task<int> ServeAsync(string[] args) => PluginServer.RunAsync(args, p => p.AddStorage<DiscardStorage>());
}

/// <summary>A read-only stream of zero bytes of a given length.</summary>
internal sealed class ZeroStream(long size) : ReadOnlyTestStream
{
    private long _read;

    public override long Length => size;

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = (int)Math.Min(buffer.Length, size - _read);
        buffer[..n].Clear();
        _read += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));
}
