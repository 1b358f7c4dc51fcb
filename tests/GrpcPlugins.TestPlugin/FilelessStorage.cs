using Grpc.Core;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.TestPlugin;

/// <summary>
/// <see cref="MemoryStorage"/> as a plugin built before files were passed over the data channel (or in another
/// language) sees it: it declares neither <c>CAPABILITY_DATA_CHANNEL_FILES</c> nor <c>CAPABILITY_DATA_CHANNEL_STORE_FILES</c>
/// (mode "storage-no-files" removes them), so a host must never ask it for a file. Such a plugin would never send the
/// mode byte a host then waits for; this one refuses the call instead, so a host that asks anyway fails visibly.
/// </summary>
internal sealed class FilelessStorage : StorageService.StorageServiceBase
{
    private readonly MemoryStorage _memory = new();

    public override Task<StoreResponse> Store(IAsyncStreamReader<StoreRequest> requestStream, ServerCallContext context)
    {
        RefuseFiles(context);
        return _memory.Store(requestStream, context);
    }

    public override Task Retrieve(RetrieveRequest request, IServerStreamWriter<RetrieveResponse> responseStream, ServerCallContext context)
    {
        RefuseFiles(context);
        return _memory.Retrieve(request, responseStream, context);
    }

    public override Task<StatResponse> Stat(StatRequest request, ServerCallContext context) => _memory.Stat(request, context);

    public override Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context) => _memory.Delete(request, context);

    public override Task<ListResponse> List(ListRequest request, ServerCallContext context) => _memory.List(request, context);

    public override Task<StatsResponse> Stats(StatsRequest request, ServerCallContext context) => _memory.Stats(request, context);

    private static void RefuseFiles(ServerCallContext context)
    {
        if (context.RequestHeaders.GetValue(PluginProtocol.DataChannelFilesHeader) is not null)
        {
            throw new PluginException(PluginErrorCode.FailedPrecondition, $"The host sent {PluginProtocol.DataChannelFilesHeader} to a plugin that declares no file capability.");
        }
    }
}
