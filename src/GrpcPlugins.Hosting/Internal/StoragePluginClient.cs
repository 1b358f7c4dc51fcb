using Grpc.Core;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.Hosting.Internal;

internal sealed class StoragePluginClient(PluginClient plugin) : IStoragePlugin
{
    private StorageService.StorageServiceClient Client(CallInvoker invoker) => new(invoker);

    public Task<StoreResponse> StoreAsync(ObjectMetadata metadata, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(content);
        return plugin.CallAsync(async (invoker, ct) =>
        {
            using var call = Client(invoker).Store(cancellationToken: ct);
            try
            {
                await call.RequestStream.WriteAsync(new StoreRequest { Metadata = metadata }, ct).ConfigureAwait(false);
                await ChunkWriter.CopyAsync(content, call.RequestStream, c => new StoreRequest { Chunk = c }, plugin.Options.ChunkSize, cancellationToken: ct).ConfigureAwait(false);
                await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            }
            catch (RpcException ex) when (PluginReplies.Oversize(ex, plugin.Options) is { } oversize)
            {
                // The host's own limit refused the message, so the plugin never saw it and will not answer; disposing the call cancels it.
                throw oversize;
            }
            catch (Exception ex) when (ex is RpcException or InvalidOperationException or IOException && !ct.IsCancellationRequested)
            {
                // The plugin ended the call early; its answer says why better than the failed write does.
                await call.ResponseAsync.ConfigureAwait(false);
                throw;
            }

            var response = await call.ResponseAsync.ConfigureAwait(false);
            if (string.IsNullOrEmpty(response.Id))
            {
                throw PluginReplies.Broken(plugin.Name, "answered Store without an id, so the content cannot be found again.");
            }

            return response;
        }, cancellationToken);
    }

    public Task<PluginDownload> RetrieveAsync(string id, long offset = 0, long length = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return plugin.CallAsync(async (invoker, ct) =>
        {
            var call = Client(invoker).Retrieve(new RetrieveRequest { Id = id, Offset = offset, Length = length }, cancellationToken: ct);
            try
            {
                if (!await call.ResponseStream.MoveNext(ct).ConfigureAwait(false)
                    || call.ResponseStream.Current.PartCase != RetrieveResponse.PartOneofCase.Metadata)
                {
                    throw PluginReplies.Broken(plugin.Name, "answered Retrieve without metadata first, as the contract requires.");
                }

                if (call.ResponseStream.Current.Metadata.Size < 0)
                {
                    throw PluginReplies.Broken(plugin.Name, $"answered Retrieve of '{id}' with a negative size ({call.ResponseStream.Current.Metadata.Size}).");
                }

                var content = new ChunkReadStream<RetrieveResponse>(
                    call.ResponseStream,
                    m => m.PartCase == RetrieveResponse.PartOneofCase.Chunk
                        ? m.Chunk
                        : throw PluginReplies.Broken(plugin.Name, $"sent a {m.PartCase} message after the first in Retrieve of '{id}', where only chunks may follow."),
                    ex => ex is RpcException rpc ? plugin.TranslateAsync(rpc).GetAwaiter().GetResult() : ex);
                return new PluginDownload(call.ResponseStream.Current.Metadata, content, call);
            }
            catch
            {
                call.Dispose();
                throw;
            }
        }, cancellationToken, "Retrieve");
    }

    public Task DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return plugin.CallAsync(async (invoker, ct) => await Client(invoker).DeleteAsync(new DeleteRequest { Id = id }, cancellationToken: ct), cancellationToken);
    }

    public Task<ListResponse> ListAsync(ListRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return plugin.CallAsync(async (invoker, ct) => CheckList(await Client(invoker).ListAsync(request, cancellationToken: ct)), cancellationToken, "List");
    }

    private ListResponse CheckList(ListResponse page)
    {
        for (var i = 0; i < page.Items.Count; i++)
        {
            var item = page.Items[i];
            var problem = string.IsNullOrEmpty(item.Id) ? "has no id"
                : item.Metadata is null ? "has no metadata"
                : item.Metadata.Size < 0 ? $"has a negative size ({item.Metadata.Size})"
                : null;
            if (problem is not null)
            {
                throw PluginReplies.Broken(plugin.Name, $"answered List with item {i} ('{item.Id}') that {problem}.");
            }
        }

        return page;
    }

    public Task<StatsResponse> StatsAsync(CancellationToken cancellationToken = default) =>
        plugin.CallAsync(async (invoker, ct) => await Client(invoker).StatsAsync(new StatsRequest(), cancellationToken: ct), cancellationToken, "Stats");
}
