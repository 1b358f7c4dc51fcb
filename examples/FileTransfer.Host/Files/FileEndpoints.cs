using FileTransfer.Host.Auth;
using FileTransfer.Host.Http;
using FileTransfer.Host.Scanning;
using FileTransfer.Host.Telemetry;
using FileTransfer.Host.Transfers;
using GrpcPlugins;
using GrpcPlugins.Hosting;
using GrpcPlugins.Storage.V1;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace FileTransfer.Host.Files;

/// <summary>Upload, download, list and delete files through the storage plugin.</summary>
public static class FileEndpoints
{
    // The largest page a listing asks of the storage plugin (and a client may ask for).
    private const int MaxPage = 1000;

    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    /// <summary>Maps the file routes.</summary>
    /// <param name="session">The session-gated group.</param>
    public static void MapFiles(this RouteGroupBuilder session)
    {
        session.MapPut("/files/{name}", UploadAsync);
        session.MapMethods("/files/{id}", ["GET", "HEAD"], DownloadAsync);
        session.MapGet("/files", ListAsync);
        session.MapDelete("/files/{id}", async (string id, HttpContext http, PluginSelector plugins, CancellationToken ct) =>
        {
            await FileOwnership.RequireAsync(http, id, await plugins.Storage.StatAsync(id, ct), GrpcPlugins.Auth.V1.Action.Delete);
            await plugins.Storage.DeleteAsync(id, ct);
            return Results.NoContent();
        });
        session.MapGet("/stats", StatsAsync);
    }

    /// <summary>A content type for a name: the one sent, else one guessed from the extension.</summary>
    /// <param name="name">The file name.</param>
    /// <param name="sent">The Content-Type the client sent, if any.</param>
    /// <returns>The media type.</returns>
    /// <exception cref="PluginException">The sent type could not be sent back with a download (answered with 400).</exception>
    public static string ContentTypeFor(string name, string? sent) =>
        !string.IsNullOrEmpty(sent) ? MediaTypes.Validate(sent) : ContentTypes.TryGetContentType(name, out var guessed) ? guessed : "application/octet-stream";

    private static async Task<IResult> UploadAsync(string name, HttpContext http, PluginSelector plugins, UploadScanner scanner, IOptions<FileTransferOptions> options)
    {
        name = FileNames.Validate(FileNames.FromRoute(name));
        var limit = options.Value.MaxUploadBytes;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit > 0 ? limit : null;
        }

        var metadata = new ObjectMetadata
        {
            Name = name,
            MimeType = ContentTypeFor(name, http.Request.ContentType),
            Size = http.Request.ContentLength ?? 0,
            IdempotencyKey = IdempotencyKeys.ForPut(http.SessionUser().Id, http.Request.Headers.TryGetValue(IdempotencyKeys.Header, out var key) ? key.ToString() : null),
            Owner = http.SessionUser().Id,
        };
        StoreResponse stored;
        try
        {
            await using var scanned = scanner.Wrap(metadata, http.Request.Body, http.RequestAborted);
            stored = await plugins.Storage.StoreAsync(metadata, scanned, http.RequestAborted);
        }
        catch (Exception ex) when (ex is PluginException or UploadRefusedException && !http.RequestAborted.IsCancellationRequested)
        {
            await DrainAsync(http.Request.Body, http.RequestAborted);
            throw;
        }

        var file = FileDto.From(stored.Id, stored.Metadata ?? metadata);
        FileTransferTelemetry.RecordBytes("upload", file.Size);
        return Results.Created($"/v1/files/{stored.Id}", file);
    }

    private static async Task DownloadAsync(string id, HttpContext http, PluginSelector plugins, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(DownloadBody));
        var ct = http.RequestAborted;
        var storage = plugins.Storage;
        var head = HttpMethods.IsHead(http.Request.Method);
        var requested = SingleRange(http);

        // A GET of the whole content reads the Retrieve it opens, metadata first: one call. A HEAD needs only the metadata,
        // and a GET of one range needs it (for the size) before the Retrieve of the range: Stat gives it without opening
        // a Retrieve, so a Range GET is Stat plus one Retrieve.
        var whole = head || requested is not null ? null : await storage.RetrieveAsync(id, cancellationToken: ct);
        await using var wholeCall = whole;
        var metadata = whole?.Metadata ?? await storage.StatAsync(id, ct);
        await FileOwnership.RequireAsync(http, id, metadata, GrpcPlugins.Auth.V1.Action.Read);
        var range = requested is null ? (ByteRange?)null : Resolve(requested, metadata.Size);
        var response = http.Response;
        response.Headers.AcceptRanges = "bytes";
        response.Headers.ETag = $"\"{metadata.Sha256}\"";
        response.ContentType = MediaTypes.ForDownload(metadata.MimeType);
        response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileNameStar = metadata.Name }.ToString();

        if (range is { Satisfiable: false })
        {
            response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
            response.Headers.ContentRange = $"bytes */{metadata.Size}";
            return;
        }

        if (range is { } r)
        {
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = $"bytes {r.From}-{r.From + r.Length - 1}/{metadata.Size}";
            response.ContentLength = r.Length;
            if (!head)
            {
                await using var part = await storage.RetrieveAsync(id, r.From, r.Length, ct);
                if (await DownloadBody.CopyAsync(part.Content, http, r.Length, logger))
                {
                    FileTransferTelemetry.RecordBytes("download", r.Length);
                }
            }

            return;
        }

        response.ContentLength = metadata.Size;
        if (whole is not null)
        {
            if (await DownloadBody.CopyAsync(whole.Content, http, metadata.Size, logger))
            {
                FileTransferTelemetry.RecordBytes("download", metadata.Size);
            }
        }
    }

    // An HTTP/1.1 client still sending its body may miss an early error answer when the connection closes under it;
    // reading a bounded rest of the body first lets it see the error. Past the bound, the connection closes as before.
    private static async Task DrainAsync(Stream body, CancellationToken ct)
    {
        const int MaxDrainBytes = 16 * 1024 * 1024;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        var buffer = new byte[81920];
        try
        {
            for (var drained = 0; drained < MaxDrainBytes;)
            {
                var read = await body.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    return;
                }

                drained += read;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or BadHttpRequestException)
        {
            // The client is gone or too slow; the error answer is all that is left to try.
        }
    }

    // An admin gets the storage plugin's totals; anyone else the totals of the files GET /v1/files shows them, their own.
    private static async Task<IResult> StatsAsync(HttpContext http, PluginSelector plugins, CancellationToken ct)
    {
        if (await http.IsAdminAsync())
        {
            var stats = await plugins.Storage.StatsAsync(ct);
            return Results.Ok(new StatsDto(stats.TotalItems, stats.TotalSize));
        }

        long items = 0;
        long size = 0;
        var pageToken = string.Empty;
        do
        {
            var page = await plugins.Storage.ListAsync(new ListRequest { Limit = MaxPage, PageToken = pageToken }, ct);
            foreach (var item in await FileOwnership.VisibleAsync(http, page.Items))
            {
                items++;
                size += item.Metadata?.Size ?? 0;
            }

            pageToken = page.NextPageToken;
        }
        while (pageToken.Length > 0);

        return Results.Ok(new StatsDto(items, size));
    }

    // A page holds only the files the user may read, so it may be shorter than limit (even empty) while a next page exists.
    private static async Task<IResult> ListAsync(string? prefix, int? limit, string? pageToken, HttpContext http, PluginSelector plugins, CancellationToken ct)
    {
        if (limit is < 0 or > MaxPage)
        {
            throw ApiErrors.BadRequest($"limit must be between 0 and {MaxPage}.");
        }

        var page = await plugins.Storage.ListAsync(new ListRequest { Prefix = prefix ?? string.Empty, Limit = limit ?? 0, PageToken = pageToken ?? string.Empty }, ct);
        var visible = await FileOwnership.VisibleAsync(http, page.Items);
        return Results.Ok(new FilePageDto([.. visible.Select(i => FileDto.From(i.Id, i.Metadata))], page.NextPageToken));
    }

    // The one byte range asked for, or null when there is no Range header, it does not parse, its unit is not bytes,
    // or it names several ranges: RFC 9110 lets a server answer those with the whole content.
    private static RangeItemHeaderValue? SingleRange(HttpContext http) =>
        RangeHeaderValue.TryParse(http.Request.Headers.Range.ToString(), out var header)
        && "bytes".Equals(header.Unit.Value, StringComparison.OrdinalIgnoreCase)
        && header.Ranges.Count == 1
            ? header.Ranges.Single()
            : null;

    private static ByteRange Resolve(RangeItemHeaderValue item, long size)
    {
        long from;
        long to;
        if (item.From is null)
        {
            var suffix = Math.Min(item.To ?? 0, size);
            from = size - suffix;
            to = size - 1;
            if (suffix == 0)
            {
                return new ByteRange(0, 0, Satisfiable: false);
            }
        }
        else
        {
            from = item.From.Value;
            to = Math.Min(item.To ?? size - 1, size - 1);
        }

        return from >= size || from > to ? new ByteRange(0, 0, Satisfiable: false) : new ByteRange(from, to - from + 1, Satisfiable: true);
    }

    private readonly record struct ByteRange(long From, long Length, bool Satisfiable);
}
