using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HttpProtocol.Tests;

/// <summary>
/// A real Kestrel server on 127.0.0.1 that serves a file (<c>GET /files/data.bin</c>, with ranges) and the receiving
/// side of the file-transfer host's resumable upload API. Its first <c>failures</c> answers to <c>POST /v1/uploads</c>
/// are 503 with a problem body, as a receiver that is starting or overloaded answers.
/// </summary>
internal sealed class FlakyReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly MemoryStream _received = new();
    private readonly object _gate = new();
    private int _uploadRequests;

    private FlakyReceiver(WebApplication app, byte[] file)
    {
        _app = app;
        File = file;
    }

    /// <summary>The file served at <see cref="FileUrl"/>.</summary>
    public byte[] File { get; }

    public string BaseUrl { get; private set; } = string.Empty;

    public string FileUrl => BaseUrl + "files/data.bin";

    /// <summary>How many times the plugin asked to open an upload (each answered 503 until the failures are used up).</summary>
    public int UploadRequests => Volatile.Read(ref _uploadRequests);

    /// <summary>The SHA-256 of what the plugin uploaded and completed, or null before completion.</summary>
    public string? CompletedSha256 { get; private set; }

    /// <param name="size">The size of the file to serve.</param>
    /// <param name="failures">How many upload requests are answered 503 before one succeeds; -1 for all.</param>
    public static async Task<FlakyReceiver> StartAsync(int size, int failures)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new FlakyReceiver(app, RandomNumberGenerator.GetBytes(size));
        receiver.Map(failures);
        await app.StartAsync();
        receiver.BaseUrl = app.Urls.Single() + "/";
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private void Map(int failures)
    {
        _app.MapGet("/files/data.bin", () => Results.Bytes(File, "application/octet-stream", enableRangeProcessing: true));
        _app.MapPost("/v1/uploads", () =>
        {
            var attempt = Interlocked.Increment(ref _uploadRequests);
            return failures < 0 || attempt <= failures
                ? Results.Json(new { message = $"Receiver busy (answer {attempt})" }, statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Json(new { uploadId = "u1" }, statusCode: StatusCodes.Status201Created);
        });
        _app.MapMethods("/v1/uploads/{id}", ["HEAD"], (HttpContext context) =>
        {
            context.Response.Headers["Upload-Offset"] = Offset();
            return Results.Ok();
        });
        _app.MapMethods("/v1/uploads/{id}", ["PATCH"], async (HttpContext context) =>
        {
            var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            lock (_gate)
            {
                if (long.Parse(context.Request.Headers["Upload-Offset"]!, CultureInfo.InvariantCulture) == _received.Length)
                {
                    _received.Write(body.ToArray());
                }
            }

            context.Response.Headers["Upload-Offset"] = Offset();
            return Results.NoContent();
        });
        _app.MapPost("/v1/uploads/{id}/complete", () =>
        {
            lock (_gate)
            {
                CompletedSha256 = Convert.ToHexStringLower(SHA256.HashData(_received.ToArray()));
                return Results.Json(new { id = "f1", name = "data.bin", size = _received.Length, sha256 = CompletedSha256 });
            }
        });
    }

    private string Offset()
    {
        lock (_gate)
        {
            return _received.Length.ToString(CultureInfo.InvariantCulture);
        }
    }
}
