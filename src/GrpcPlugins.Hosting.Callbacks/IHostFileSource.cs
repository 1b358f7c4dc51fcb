namespace GrpcPlugins.Hosting.Callbacks;

/// <summary>
/// The application's stored files, as the <c>ReadFile</c> callback reads them. The application implements it (the
/// file-transfer host reads from its storage plugin) and registers it in DI; without one, <c>ReadFile</c> answers
/// Unimplemented.
/// </summary>
public interface IHostFileSource
{
    /// <summary>Opens a stored file for reading.</summary>
    /// <param name="pluginName">The plugin that asks.</param>
    /// <param name="fileId">The file's id.</param>
    /// <param name="userId">The user the plugin reads on behalf of, who must be allowed to read the file; null when the plugin reads as itself.</param>
    /// <param name="offset">The first byte of content to read; 0 for all. <see cref="HostFile.Metadata"/> still describes the whole file.</param>
    /// <param name="cancellationToken">Cancelled when the plugin abandons the call.</param>
    /// <returns>The file, or null when there is no such file (or the user may not read it).</returns>
    Task<HostFile?> OpenAsync(string pluginName, string fileId, string? userId, long offset, CancellationToken cancellationToken);
}
