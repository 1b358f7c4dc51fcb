using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using FileTransfer.Host.Cluster;
using FileTransfer.Host.Http;
using Microsoft.Extensions.Options;

namespace FileTransfer.Host.Uploads;

/// <summary>
/// Resumable uploads, staged on this host's disk until complete: each PATCH appends at the acknowledged offset and is
/// fsync'd before it is acknowledged, so a sender that resumes never resends what the receiver already has. On nodes
/// that share a PostgreSQL database (<see cref="SharedUploads"/>), uploads are staged there instead, so any node resumes
/// and completes an upload another node started.
/// </summary>
/// <param name="options">The host's settings (the data folder).</param>
/// <param name="shared">The shared staging of a cluster, or null to stage on this host's disk.</param>
public sealed class UploadStaging(IOptions<FileTransferOptions> options, SharedUploads? shared = null)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();

    private string Folder => Directory.CreateDirectory(Path.Combine(options.Value.DataPath, "uploads")).FullName;

    /// <summary>Starts an upload.</summary>
    /// <param name="info">The file it becomes.</param>
    /// <returns>The upload's id.</returns>
    public async Task<string> CreateAsync(UploadInfo info)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        if (shared is not null)
        {
            await shared.CreateAsync(id, info);
            return id;
        }

        await File.WriteAllTextAsync(InfoPath(id), JsonSerializer.Serialize(info));
        await File.WriteAllBytesAsync(PartPath(id), []);
        return id;
    }

    /// <summary>The upload's file and how many bytes are durably written.</summary>
    /// <param name="id">The upload's id.</param>
    /// <returns>The info and offset.</returns>
    public async Task<(UploadInfo Info, long Offset)> GetAsync(string id)
    {
        if (shared is not null)
        {
            return (IsWellFormed(id) ? await shared.FindAsync(id) : null) ?? throw SharedUploads.UploadNotFound(id);
        }

        var info = await ReadInfoAsync(id);
        return (info, new FileInfo(PartPath(id)).Length);
    }

    /// <summary>Appends bytes at <paramref name="offset"/>, which must be the current offset.</summary>
    /// <param name="id">The upload's id.</param>
    /// <param name="offset">Where the sender believes the upload stands.</param>
    /// <param name="body">The next bytes.</param>
    /// <param name="cancellationToken">Stops the append; bytes written so far stay acknowledged.</param>
    /// <returns>The new offset.</returns>
    public async Task<long> AppendAsync(string id, long offset, Stream body, CancellationToken cancellationToken)
    {
        if (shared is not null)
        {
            var (uploadInfo, _) = await GetAsync(id);
            return await shared.AppendAsync(id, uploadInfo.Size, offset, body, cancellationToken);
        }

        var info = await ReadInfoAsync(id);
        var gate = _locks.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            await using var part = new FileStream(PartPath(id), FileMode.Open, FileAccess.Write, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
            if (part.Length != offset)
            {
                throw new OffsetMismatchException(part.Length);
            }

            part.Seek(0, SeekOrigin.End);
            var buffer = new byte[1 << 16];
            int read;
            try
            {
                while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    if (part.Position + read > info.Size)
                    {
                        throw ApiException.BadRequest($"The upload would grow past its declared size of {info.Size} bytes.");
                    }

                    await part.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }
            finally
            {
                // Whatever arrived is kept and made durable, so the sender's next HEAD sees a true offset.
                part.Flush(flushToDisk: true);
            }

            return part.Length;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Opens the complete upload for reading.</summary>
    /// <param name="id">The upload's id.</param>
    /// <returns>The info and the content.</returns>
    public async Task<(UploadInfo Info, Stream Content)> OpenCompleteAsync(string id)
    {
        var (info, offset) = await GetAsync(id);
        if (offset != info.Size)
        {
            throw new OffsetMismatchException(offset);
        }

        if (shared is not null)
        {
            return (info, shared.OpenContent(id));
        }

        return (info, new FileStream(PartPath(id), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan));
    }

    /// <summary>
    /// Records what a complete upload became, before its staged files go, so a complete retried after its answer was
    /// lost (or after a host restart) answers the same file. The record stays for the life of the data folder.
    /// </summary>
    /// <typeparam name="T">The answer's type.</typeparam>
    /// <param name="id">The upload's id.</param>
    /// <param name="outcome">The answer complete gave.</param>
    /// <returns>A task that completes when the record is durable.</returns>
    public async Task RecordCompletedAsync<T>(string id, T outcome)
    {
        if (shared is not null)
        {
            await shared.RecordCompletedAsync(id, JsonSerializer.Serialize(outcome));
            return;
        }

        var temp = DonePath(id) + ".tmp";
        await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
        {
            await JsonSerializer.SerializeAsync(file, outcome);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, DonePath(id), overwrite: true);
    }

    /// <summary>The answer a completed upload gave, or null when it has not completed.</summary>
    /// <typeparam name="T">The answer's type.</typeparam>
    /// <param name="id">The upload's id.</param>
    /// <returns>The recorded answer, or null.</returns>
    public async Task<T?> FindCompletedAsync<T>(string id)
        where T : class
    {
        if (shared is not null)
        {
            return IsWellFormed(id) && await shared.FindCompletedAsync(id) is { } json ? JsonSerializer.Deserialize<T>(json) : null;
        }

        if (!IsWellFormed(id) || !File.Exists(DonePath(id)))
        {
            return null;
        }

        await using var file = File.OpenRead(DonePath(id));
        return await JsonSerializer.DeserializeAsync<T>(file);
    }

    /// <summary>Removes an upload's staged files.</summary>
    /// <param name="id">The upload's id.</param>
    /// <returns>A task that completes when they are gone.</returns>
    public async Task DeleteAsync(string id)
    {
        if (shared is not null)
        {
            await shared.DeleteAsync(id);
            return;
        }

        File.Delete(PartPath(id));
        File.Delete(InfoPath(id));
        _locks.TryRemove(id, out _);
    }

    private async Task<UploadInfo> ReadInfoAsync(string id)
    {
        if (!IsWellFormed(id) || !File.Exists(InfoPath(id)))
        {
            throw ApiException.NotFound($"No upload has id '{id}'. Start one with POST /v1/uploads.");
        }

        return JsonSerializer.Deserialize<UploadInfo>(await File.ReadAllTextAsync(InfoPath(id)))!;
    }

    private static bool IsWellFormed(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);

    private string DonePath(string id) => Path.Combine(Folder, id + ".done.json");

    private string InfoPath(string id) => Path.Combine(Folder, id + ".json");

    private string PartPath(string id) => Path.Combine(Folder, id + ".part");
}
