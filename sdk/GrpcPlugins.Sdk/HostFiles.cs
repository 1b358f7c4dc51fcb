using Grpc.Core;
using GrpcPlugins.HostCallbacks.V1;
using GrpcPlugins.Sdk.Internal;

namespace GrpcPlugins.Sdk;

/// <summary>Reads the host's stored files, streamed (grant <c>files.read</c>).</summary>
public sealed class HostFiles
{
    private readonly HostCallbacksConnection _connection;

    internal HostFiles(HostCallbacksConnection connection) => _connection = connection;

    /// <summary>Opens a stored file: its metadata at once, its content as a stream read chunk by chunk.</summary>
    /// <param name="fileId">The file's id.</param>
    /// <param name="userId">The user to read on behalf of, who must be allowed to read the file; null to read as the plugin.</param>
    /// <param name="offset">The first byte of content to read, to resume; 0 for all. The metadata still describes the whole file.</param>
    /// <param name="cancellationToken">Abandons the call, also while the content is read.</param>
    /// <returns>The file; dispose it to end the call.</returns>
    /// <exception cref="PluginException">NotFound when there is no such file; PermissionDenied without the grant.</exception>
    public async Task<HostFileContent> OpenAsync(string fileId, string? userId = null, long offset = 0, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileId);
        var call = _connection.Client.ReadFile(new ReadFileRequest { FileId = fileId, UserId = userId ?? string.Empty, Offset = offset }, _connection.Options(cancellationToken));
        try
        {
            if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false) || call.ResponseStream.Current.PartCase != ReadFileResponse.PartOneofCase.Metadata)
            {
                throw new PluginException(PluginErrorCode.Internal, $"The host's ReadFile of '{fileId}' sent no metadata first.");
            }

            var metadata = call.ResponseStream.Current.Metadata;
            var content = new ChunkReadStream<ReadFileResponse>(
                call.ResponseStream,
                m => m.PartCase == ReadFileResponse.PartOneofCase.Chunk ? m.Chunk : null,
                ex => ex is RpcException rpc ? PluginErrors.FromRpcException(rpc, "host") : ex);
            return new HostFileContent(metadata, content, call);
        }
        catch (RpcException ex)
        {
            call.Dispose();
            throw PluginErrors.FromRpcException(ex, "host");
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }
}
