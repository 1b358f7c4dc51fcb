using FileTransfer.Host.Transfers;
using Google.Protobuf.WellKnownTypes;
using GrpcPlugins;
using GrpcPlugins.HostCallbacks.V1;
using GrpcPlugins.Hosting.Callbacks;

namespace FileTransfer.Host.Callbacks;

/// <summary>
/// Serves the host callbacks' ReadFile from the storage plugin, so a protocol plugin (HttpProtocol) reads the file it
/// sends without the public HTTP API and without the user's token.
/// </summary>
public sealed class StorageFileSource(PluginSelector plugins) : IHostFileSource
{
    /// <inheritdoc />
    public async Task<HostFile?> OpenAsync(string pluginName, string fileId, string? userId, long offset, CancellationToken cancellationToken)
    {
        try
        {
            var download = await plugins.Storage.RetrieveAsync(fileId, offset, 0, cancellationToken);
            var stored = download.Metadata;
            if (userId is not null && stored.Owner != userId)
            {
                // On a user's behalf, only that user's own files (FileOwnership); an admin's plugin reads as itself.
                await download.DisposeAsync();
                return null;
            }

            var metadata = new FileMetadata
            {
                FileId = fileId,
                Name = stored.Name,
                Size = stored.Size,
                MimeType = stored.MimeType,
                Sha256 = stored.Sha256,
                CreatedAt = stored.CreatedAt ?? new Timestamp(),
                Owner = stored.Owner,
            };
            return new HostFile(metadata, download.Content, download);
        }
        catch (PluginException ex) when (ex.Code == PluginErrorCode.NotFound)
        {
            return null;
        }
    }
}
