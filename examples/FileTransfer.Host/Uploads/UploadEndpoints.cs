using FileTransfer.Host.Auth;
using System.Globalization;
using FileTransfer.Host.Files;
using FileTransfer.Host.Http;
using FileTransfer.Host.Scanning;
using FileTransfer.Host.Transfers;
using GrpcPlugins.Storage.V1;
using Microsoft.AspNetCore.Http.Features;

namespace FileTransfer.Host.Uploads;

/// <summary>Resumable uploads: how another host's protocol plugin pushes a file here in pieces.</summary>
public static class UploadEndpoints
{
    private const string OffsetHeader = "Upload-Offset";

    /// <summary>Maps the upload routes.</summary>
    /// <param name="session">The session-gated group.</param>
    public static void MapUploads(this RouteGroupBuilder session)
    {
        session.MapPost("/uploads", async (UploadInfo body, HttpContext http, UploadStaging uploads) =>
        {
            FileNames.Validate(body.Name);
            if (body.Size < 0)
            {
                throw ApiErrors.BadRequest("size must be zero or more bytes.");
            }

            var id = await uploads.CreateAsync(body with { MimeType = FileEndpoints.ContentTypeFor(body.Name, body.MimeType), Owner = http.SessionUser().Id });
            return Results.Created($"/v1/uploads/{id}", new { uploadId = id, offset = 0 });
        });

        session.MapMethods("/uploads/{id}", ["HEAD"], async (string id, HttpContext http, UploadStaging uploads) =>
        {
            var (_, offset) = await uploads.GetAsync(id);
            http.Response.Headers[OffsetHeader] = offset.ToString(CultureInfo.InvariantCulture);
            http.Response.Headers.CacheControl = "no-store";
        });

        session.MapPatch("/uploads/{id}", async (string id, HttpContext http, UploadStaging uploads) =>
        {
            if (!long.TryParse(http.Request.Headers[OffsetHeader], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
            {
                throw ApiErrors.BadRequest($"Send the {OffsetHeader} header with the offset this piece starts at.");
            }

            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = null;
            }

            try
            {
                var next = await uploads.AppendAsync(id, offset, http.Request.Body, http.RequestAborted);
                http.Response.Headers[OffsetHeader] = next.ToString(CultureInfo.InvariantCulture);
                return Results.NoContent();
            }
            catch (OffsetMismatchException ex)
            {
                http.Response.Headers[OffsetHeader] = ex.Actual.ToString(CultureInfo.InvariantCulture);
                return ApiErrors.Problem(ex);
            }
        });

        session.MapPost("/uploads/{id}/complete", async (string id, HttpContext http, UploadStaging uploads, PluginSelector plugins, UploadScanner scanner) =>
        {
            // A complete retried after its answer was lost answers the same file again.
            if (await uploads.FindCompletedAsync<FileDto>(id) is { } done)
            {
                return Results.Created($"/v1/files/{done.Id}", done);
            }

            StoreResponse stored;
            UploadInfo info;
            var (openedInfo, content) = await uploads.OpenCompleteAsync(id);
            info = openedInfo;
            // The upload id is the store's idempotency key: a complete retried after the plugin committed but its answer
            // was lost (a 503) gets the committed file from the plugin, not a second copy.
            var metadata = new ObjectMetadata
            {
                Name = info.Name,
                Size = info.Size,
                MimeType = info.MimeType,
                IdempotencyKey = IdempotencyKeys.ForUpload(id),
                // The user who started the upload owns the file; uploads staged before owners existed go to whoever completes them.
                Owner = string.IsNullOrEmpty(info.Owner) ? http.SessionUser().Id : info.Owner,
            };
            try
            {
                await using (content)
                await using (var scanned = scanner.Wrap(metadata, content, http.RequestAborted))
                {
                    stored = await plugins.Storage.StoreAsync(metadata, scanned, http.RequestAborted);
                }
            }
            catch (UploadRefusedException)
            {
                // Refused for good: the staged bytes go; a scanner that was down (503) leaves them to complete again.
                await uploads.DeleteAsync(id);
                throw;
            }

            var file = FileDto.From(stored.Id, stored.Metadata);
            await uploads.RecordCompletedAsync(id, file);
            await uploads.DeleteAsync(id);
            return Results.Created($"/v1/files/{stored.Id}", file);
        });
    }
}
