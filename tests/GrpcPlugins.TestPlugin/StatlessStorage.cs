using Grpc.Core;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.TestPlugin;

/// <summary>
/// In-memory storage built before Stat existed: it does not override Stat, so Stat answers UNIMPLEMENTED as the
/// generated base does, and hosts must read metadata through Retrieve instead. Everything else is
/// <see cref="MemoryStorage"/>'s (ranged reads included). Run as mode "storage-no-stat".
/// </summary>
internal class StatlessStorage : StorageService.StorageServiceBase
{
    private readonly MemoryStorage _memory = new();

    public override Task<StoreResponse> Store(IAsyncStreamReader<StoreRequest> requestStream, ServerCallContext context) => _memory.Store(requestStream, context);

    public override Task Retrieve(RetrieveRequest request, IServerStreamWriter<RetrieveResponse> responseStream, ServerCallContext context) =>
        _memory.Retrieve(request, responseStream, context);

    public override Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context) => _memory.Delete(request, context);

    public override Task<ListResponse> List(ListRequest request, ServerCallContext context) => _memory.List(request, context);

    public override Task<StatsResponse> Stats(StatsRequest request, ServerCallContext context) => _memory.Stats(request, context);
}
