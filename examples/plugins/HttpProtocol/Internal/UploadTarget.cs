using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HttpProtocol.Internal;

/// <summary>
/// The receiving host's resumable upload API: <c>POST /v1/uploads</c>, <c>HEAD</c> and <c>PATCH /v1/uploads/{id}</c>
/// with <c>Upload-Offset</c>, and <c>POST /v1/uploads/{id}/complete</c>.
/// </summary>
internal sealed class UploadTarget(RemoteHttp remote, Uri baseUrl, Func<string> token)
{
    private const string OffsetHeader = "Upload-Offset";

    /// <summary>The file the receiver stored, as its complete call returns it.</summary>
    public sealed record StoredFile(string Id, string Name, long Size, string Sha256);

    /// <summary>The body of <c>POST /v1/uploads</c>.</summary>
    public sealed record NewUpload(string Name, long Size);

    /// <summary>Opens an upload and returns its id.</summary>
    public async Task<string> CreateAsync(string name, long size, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url("v1/uploads")) { Content = JsonContent.Create(new NewUpload(name, size), UploadJsonContext.Default.NewUpload) };
        using var response = await remote.SendAsync(request, token(), "open an upload", cancellationToken);
        var body = await remote.WithinLimitAsync(request.RequestUri!, ct => response.Content.ReadFromJsonAsync(UploadJsonContext.Default.JsonElement, ct), cancellationToken);
        return body.TryGetProperty("uploadId", out var id) && id.GetString() is { Length: > 0 } value
            ? value
            : throw new RemoteFailure($"{baseUrl} answered the upload request without an uploadId: is it a file-transfer host?", transient: false);
    }

    /// <summary>Asks how many bytes the receiver has durably written, or null when it does not know the upload.</summary>
    public async Task<long?> OffsetAsync(string uploadId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, Url($"v1/uploads/{Uri.EscapeDataString(uploadId)}"));
        using var response = await remote.SendAsync(request, token(), "report the upload's offset", cancellationToken, r => r.StatusCode == HttpStatusCode.NotFound);
        return response.StatusCode == HttpStatusCode.NotFound ? null : Offset(response);
    }

    /// <summary>Appends bytes at an offset and returns the receiver's new offset (its current one when it expected another offset).</summary>
    public async Task<long> AppendAsync(string uploadId, long offset, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, Url($"v1/uploads/{Uri.EscapeDataString(uploadId)}"))
        {
            Content = new ReadOnlyMemoryContent(bytes),
        };
        request.Headers.Add(OffsetHeader, offset.ToString(CultureInfo.InvariantCulture));
        using var response = await remote.SendAsync(request, token(), "accept a piece of the upload", cancellationToken, r => r.StatusCode == HttpStatusCode.Conflict && r.Headers.Contains(OffsetHeader));
        return Offset(response);
    }

    /// <summary>Finishes the upload; the receiver stores the file and describes it.</summary>
    public async Task<StoredFile> CompleteAsync(string uploadId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url($"v1/uploads/{Uri.EscapeDataString(uploadId)}/complete"));
        using var response = await remote.SendAsync(request, token(), "complete the upload", cancellationToken);
        var file = await remote.WithinLimitAsync(request.RequestUri!, ct => response.Content.ReadFromJsonAsync(UploadJsonContext.Default.StoredFile, ct), cancellationToken);
        return file ?? throw new RemoteFailure($"{baseUrl} completed the upload without describing the stored file.", transient: false);
    }

    private Uri Url(string path) => new(baseUrl, path);

    private long Offset(HttpResponseMessage response) =>
        response.Headers.TryGetValues(OffsetHeader, out var values)
        && long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
            ? offset
            : throw new RemoteFailure($"{baseUrl} answered without a valid {OffsetHeader} header: is it a file-transfer host?", transient: false);
}

// The upload API's JSON (camelCase, as the host's), with generated code: no reflection, so the plugin publishes with NativeAOT.
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(UploadTarget.NewUpload))]
[JsonSerializable(typeof(UploadTarget.StoredFile))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class UploadJsonContext : JsonSerializerContext;
