using GrpcPlugins;
using GrpcPlugins.Sdk;

namespace FileSystemStorage.Internal;

/// <summary>
/// The content files under the root: written to a temp file, fsync'd, then renamed into place, so a crash never
/// leaves a partial object visible.
/// </summary>
internal sealed class ObjectStore
{
    private const int BufferSize = 256 * 1024;
    private const int DiskFull = 28; // ENOSPC

    public ObjectStore(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(ObjectsPath);
        Directory.CreateDirectory(TempPath);
    }

    public string Root { get; }

    private string ObjectsPath => Path.Combine(Root, "objects");

    private string TempPath => Path.Combine(Root, ".tmp");

    /// <summary>
    /// Receives an upload into a new object file and returns its size and SHA-256; on any failure nothing is left behind.
    /// The SDK lets the host write the content straight into the temp file when it can; either way the file is checked
    /// against the host's end marker before it is flushed to disk and moved into place here.
    /// </summary>
    /// <param name="id">The new object's id.</param>
    /// <param name="upload">The Store's content.</param>
    /// <param name="maxBytes">The most bytes allowed; 0 for no limit.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public async Task<(long Size, string Sha256)> WriteAsync(string id, StoreUpload upload, long maxBytes, CancellationToken cancellationToken)
    {
        var temp = Path.Combine(TempPath, id + ".part");
        try
        {
            long size;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                size = await upload.ReceiveIntoAsync(file, maxBytes, cancellationToken);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, PathOf(id));
            return (size, upload.ContentSha256!);
        }
        catch (PluginException ex) when (ex.Code == PluginErrorCode.ResourceExhausted && ex.Metadata.ContainsKey(StoreUpload.MaxBytesKey))
        {
            TryDelete(temp);
            throw new PluginException(PluginErrorCode.ResourceExhausted, $"The content is larger than this storage's limit of {maxBytes} bytes (max_object_bytes).", ex);
        }
        catch (IOException ex) when ((ex.HResult & 0xFFFF) == DiskFull)
        {
            TryDelete(temp);
            throw new PluginException(PluginErrorCode.ResourceExhausted, $"The disk under {Root} is full; free space or move the storage root.", ex)
            {
                ErrorSource = PluginErrorSource.Downstream,
            };
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public FileStream OpenRead(string id) =>
        new(PathOf(id), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);

    public bool Exists(string id) => File.Exists(PathOf(id));

    public void Delete(string id) => TryDelete(PathOf(id));

    /// <summary>Removes what a crash can leave: temp files, and object files the index does not know.</summary>
    public int RemoveLeftovers(IReadOnlySet<string> knownIds)
    {
        var removed = 0;
        foreach (var temp in Directory.EnumerateFiles(TempPath))
        {
            TryDelete(temp);
            removed++;
        }

        foreach (var file in Directory.EnumerateFiles(ObjectsPath))
        {
            if (!knownIds.Contains(Path.GetFileName(file)))
            {
                TryDelete(file);
                removed++;
            }
        }

        return removed;
    }

    // Ids are checked by the caller and come from our own alphabet, so the path always stays under objects/.
    private string PathOf(string id) => Path.Combine(ObjectsPath, id);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
