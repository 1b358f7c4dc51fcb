using System.Net.Sockets;
using Grpc.Core;
using GrpcPlugins.Internal;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.Hosting.Internal;

internal sealed class StoragePluginClient(PluginClient plugin) : IStoragePlugin
{
    private const string StatMethod = "Stat";

    private StorageService.StorageServiceClient Client(CallInvoker invoker) => new(invoker);

    public Task<StoreResponse> StoreAsync(ObjectMetadata metadata, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(content);
        return plugin.CallAsync(async (instance, ct) =>
        {
            using var source = new ContentSource(content);
            using var dataChannel = await instance.ConnectDataChannelAsync(ct).ConfigureAwait(false);
            var sendEnd = instance.Metadata.Capabilities.Contains(Capability.StoreEnd);
            // The plugin checks a file the host wrote against the StoreEnd, so files need the end marker too.
            var files = sendEnd && FilesWanted(instance, dataChannel, Capability.DataChannelStoreFiles);
            // StoreEnd is promised in a header, so that the plugin knows before the content that a stream without the marker was cut off.
            var headers = WithFlags(dataChannel, sendEnd ? PluginProtocol.StoreEndHeader : null, files ? PluginProtocol.DataChannelFilesHeader : null);
            using var call = Client(instance.Invoker).Store(headers, cancellationToken: ct);
            try
            {
                await call.RequestStream.WriteAsync(new StoreRequest { Metadata = metadata }, ct).ConfigureAwait(false);
                if (dataChannel is null)
                {
                    await ChunkWriter.CopyAsync(source, call.RequestStream, c => new StoreRequest { Chunk = c }, plugin.Options.ChunkSize, cancellationToken: ct).ConfigureAwait(false);
                }
                else
                {
                    // The plugin's first byte says whether it passed a file to write the content into or takes the bytes.
                    if (files && await ReceiveStoreFileAsync(dataChannel, ct).ConfigureAwait(false) is { } passed)
                    {
                        // Closed before the StoreEnd goes, so the plugin that reads it finds every byte in its file.
                        using (passed.File)
                        {
                            await PassedFileWriter.CopyAsync(source, passed.File, passed.MaxBytes, dataChannel.Socket, plugin.Name, ct).ConfigureAwait(false);
                        }
                    }
                    else
                    {
                        await DataChannel.SendAsync(source, dataChannel.Socket, null, ct).ConfigureAwait(false);
                    }

                    // The bytes end with the connection; the call's completion then says they ended on purpose.
                    dataChannel.Socket.Shutdown(SocketShutdown.Send);
                }

                if (sendEnd)
                {
                    await call.RequestStream.WriteAsync(new StoreRequest { End = source.End() }, ct).ConfigureAwait(false);
                }

                await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            }
            catch (RpcException ex) when (PluginReplies.Oversize(ex, plugin.Options) is { } oversize)
            {
                // The host's own limit refused the message, so the plugin never saw it and will not answer; disposing the call cancels it.
                throw oversize;
            }
            catch (Exception ex) when (ex is RpcException or InvalidOperationException or IOException or SocketException && !ct.IsCancellationRequested && !source.Failed)
            {
                // The plugin ended the call early (and closed its data channel); its answer says why better than the failed write does.
                // When the caller's own content failed instead, the call is abandoned (disposing it cancels it), and its error stands.
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

    // Whether to ask for files on a call over the data channel, of a plugin that declares it can pass them for it.
    private bool FilesWanted(PluginInstance instance, DataChannelConnection? dataChannel, Capability capability) =>
        dataChannel is not null && plugin.Options.DataChannelFiles && UnixRights.IsSupported && instance.Metadata.Capabilities.Contains(capability);

    // The data channel's headers (if any) and a header set to "1" for each flag that is not null.
    private static Metadata? WithFlags(DataChannelConnection? dataChannel, params string?[] flags)
    {
        if (flags.All(f => f is null))
        {
            return dataChannel?.Headers;
        }

        var headers = new Metadata();
        foreach (var flag in flags.OfType<string>())
        {
            headers.Add(flag, "1");
        }

        foreach (var entry in dataChannel?.Headers ?? [])
        {
            headers.Add(entry);
        }

        return headers;
    }

    // A file mode that breaks the protocol is the plugin's failure; a failed connection is left to the caller, which
    // then reads the call's status for the reason.
    private async Task<(Microsoft.Win32.SafeHandles.SafeFileHandle File, long MaxBytes)?> ReceiveStoreFileAsync(DataChannelConnection dataChannel, CancellationToken ct)
    {
        try
        {
            return await DataChannelFiles.ReceiveStoreModeAsync(dataChannel.Socket, ct).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            throw PluginReplies.Broken(plugin.Name, $"broke the data channel's file mode in Store: {ex.Message}");
        }
    }

    public Task<PluginDownload> RetrieveAsync(string id, long offset = 0, long length = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return plugin.CallAsync(async (instance, ct) =>
        {
            var dataChannel = await instance.ConnectDataChannelAsync(ct).ConfigureAwait(false);
            var files = FilesWanted(instance, dataChannel, Capability.DataChannelFiles);
            var headers = WithFlags(dataChannel, files ? PluginProtocol.DataChannelFilesHeader : null);

            var call = Client(instance.Invoker).Retrieve(new RetrieveRequest { Id = id, Offset = offset, Length = length }, headers, cancellationToken: ct);
            try
            {
                if (!await call.ResponseStream.MoveNext(ct).ConfigureAwait(false)
                    || call.ResponseStream.Current.PartCase != RetrieveResponse.PartOneofCase.Metadata)
                {
                    throw PluginReplies.Broken(plugin.Name, "answered Retrieve without metadata first, as the contract requires.");
                }

                var metadata = CheckMetadata(call.ResponseStream.Current.Metadata, "Retrieve", id);
                Stream content = dataChannel is null
                    ? new ChunkReadStream<RetrieveResponse>(
                        call.ResponseStream,
                        m => m.PartCase == RetrieveResponse.PartOneofCase.Chunk ? m.Chunk : throw MessageAfterMetadata(plugin.Name, id, m),
                        ex => instance.TranslateStreamFailureAsync(ex).GetAwaiter().GetResult())
                    : files ? await OpenPassedFileAsync(instance, id, dataChannel, call, ct).ConfigureAwait(false)
                    : new DataChannelStream(dataChannel.Socket, new RetrieveCallEnd(plugin.Name, instance, id, call));
                return new PluginDownload(metadata, content, call);
            }
            catch
            {
                call.Dispose();
                dataChannel?.Dispose();
                throw;
            }
        }, cancellationToken, "Retrieve");
    }

    // The plugin's first byte says whether it passed its file (read here straight from it) or sends the bytes.
    private async Task<Stream> OpenPassedFileAsync(PluginInstance instance, string id, DataChannelConnection dataChannel, AsyncServerStreamingCall<RetrieveResponse> call, CancellationToken ct)
    {
        var end = new RetrieveCallEnd(plugin.Name, instance, id, call);
        (Microsoft.Win32.SafeHandles.SafeFileHandle File, long Offset, long Length)? passed;
        try
        {
            passed = await DataChannelFiles.ReceiveModeAsync(dataChannel.Socket, ct).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw await end.ExplainAsync(ex).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            throw PluginReplies.Broken(plugin.Name, $"broke the data channel's file mode in Retrieve of '{id}': {ex.Message}");
        }

        if (passed is not { } file)
        {
            return new DataChannelStream(dataChannel.Socket, end);
        }

        return new DataChannelFileStream(file.File, file.Offset, file.Length, dataChannel.Socket, end, read =>
            PluginReplies.Broken(plugin.Name, $"passed a file for Retrieve of '{id}' that ended after {read} of the {file.Length} bytes it named."));
    }

    public Task<ObjectMetadata> StatAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return plugin.CallAsync(async (instance, ct) =>
        {
            if (instance.MayImplement(StatMethod))
            {
                try
                {
                    var response = await Client(instance.Invoker).StatAsync(new StatRequest { Id = id }, cancellationToken: ct).ConfigureAwait(false);
                    return CheckMetadata(response.Metadata, "Stat", id);
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented || PluginErrors.FromRpcException(ex).Code == PluginErrorCode.NotSupported)
                {
                    // Built before Stat, or in a language whose stubs answer UNIMPLEMENTED: Retrieve carries the same metadata.
                    instance.MarkUnimplemented(StatMethod, "Retrieve");
                }
            }

            return await MetadataThroughRetrieveAsync(instance, id, ct).ConfigureAwait(false);
        }, cancellationToken, StatMethod);
    }

    // Opens a Retrieve for its first message only. Without a data channel the content would come as chunk messages; the
    // call is disposed (cancelled) after the metadata, so at most what gRPC's flow control lets through is sent.
    private async Task<ObjectMetadata> MetadataThroughRetrieveAsync(PluginInstance instance, string id, CancellationToken ct)
    {
        using var call = Client(instance.Invoker).Retrieve(new RetrieveRequest { Id = id }, cancellationToken: ct);
        if (!await call.ResponseStream.MoveNext(ct).ConfigureAwait(false)
            || call.ResponseStream.Current.PartCase != RetrieveResponse.PartOneofCase.Metadata)
        {
            throw PluginReplies.Broken(plugin.Name, "answered Retrieve without metadata first, as the contract requires.");
        }

        return CheckMetadata(call.ResponseStream.Current.Metadata, "Retrieve", id);
    }

    private ObjectMetadata CheckMetadata(ObjectMetadata? metadata, string method, string id) => metadata switch
    {
        null => throw PluginReplies.Broken(plugin.Name, $"answered {method} of '{id}' without metadata."),
        { Size: < 0 } => throw PluginReplies.Broken(plugin.Name, $"answered {method} of '{id}' with a negative size ({metadata.Size})."),
        _ => metadata,
    };

    private static PluginException MessageAfterMetadata(string pluginName, string id, RetrieveResponse message) =>
        PluginReplies.Broken(pluginName, $"sent a {message.PartCase} message after the first in Retrieve of '{id}', where only chunks may follow.");

    // The end of a Retrieve whose bytes came over the data channel: the call must then end with no more messages and OK.
    private sealed class RetrieveCallEnd(string pluginName, PluginInstance instance, string id, AsyncServerStreamingCall<RetrieveResponse> call) : DataChannelEnd
    {
        public override async ValueTask ConfirmAsync(CancellationToken cancellationToken)
        {
            bool more;
            try
            {
                more = await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RpcException or ObjectDisposedException)
            {
                throw await instance.TranslateStreamFailureAsync(ex).ConfigureAwait(false);
            }

            if (more)
            {
                var message = call.ResponseStream.Current;
                throw message.PartCase == RetrieveResponse.PartOneofCase.Chunk
                    ? PluginReplies.Broken(pluginName, $"sent chunk messages in Retrieve of '{id}' although its content went over the data channel.")
                    : MessageAfterMetadata(pluginName, id, message);
            }
        }

        public override async ValueTask<Exception> ExplainAsync(SocketException failure)
        {
            try
            {
                await ConfirmAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (PluginException ex)
            {
                return ex;
            }

            return PluginReplies.Broken(pluginName, $"broke the data channel of Retrieve of '{id}' ({failure.Message}) but ended the call as if it had succeeded.");
        }
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
