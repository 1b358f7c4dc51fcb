using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Benchmarks.Internal.Servers;

/// <summary>
/// What a user would write without plugins: one ASP.NET Core process on the file-transfer host's Kestrel settings that
/// checks a bearer token in-process, writes an upload to a temp file while hashing it with SHA-256, fsyncs and renames
/// it, and serves a download from disk (with ranges). This program runs it as "serve-plain", as its own process.
/// </summary>
internal static class PlainServer
{
    private const int CopyBuffer = 1 << 20;

    /// <summary>Starts this program as the plain server on a free loopback port, with the same GC as the file-transfer host.</summary>
    public static async Task<ServerUnderTest> StartAsync(string folder, string token)
    {
        var dir = Directory.CreateDirectory(Path.Combine(folder, "plain-data")).FullName;
        var baseUrl = new Uri($"http://127.0.0.1:{Ports.Free()}");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Paths.SelfDll, "serve-plain", baseUrl.ToString().TrimEnd('/'), dir, token })
        {
            start.ArgumentList.Add(arg);
        }

        // This program runs with workstation GC (it is also a plugin); the server gets the file-transfer host's GC.
        start.Environment["DOTNET_gcServer"] = HostUsesServerGc() ? "1" : "0";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerUnderTest("plain", baseUrl, token, process, StopAsync: () => Signals.TermAsync(process), IdFromBody: true);
        await server.WaitUntilAnsweringAsync(TimeSpan.FromSeconds(90));
        return server;
    }

    /// <summary>The "serve-plain &lt;url&gt; &lt;folder&gt; &lt;token&gt;" mode: runs the server until SIGTERM.</summary>
    public static async Task<int> ServeAsync(string[] args)
    {
        if (args is not [var url, var dir, var token])
        {
            Console.Error.WriteLine("Usage: serve-plain <url> <folder> <token>");
            return 2;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url);
        // The file-transfer host's Kestrel settings (examples/FileTransfer.Host/Program.cs).
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var expected = "Bearer " + token;
        app.MapPut("/v1/files/{name}", async (string name, HttpContext http) =>
        {
            if (http.Request.Headers.Authorization != expected)
            {
                return Results.Unauthorized();
            }

            var id = Guid.NewGuid().ToString("N");
            var temp = Path.Combine(dir, id + ".tmp");
            var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, useAsync: true))
            {
                var buffer = new byte[CopyBuffer];
                int read;
                while ((read = await http.Request.Body.ReadAsync(buffer, http.RequestAborted)) > 0)
                {
                    sha.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), http.RequestAborted);
                    size += read;
                }

                file.Flush(flushToDisk: true);
            }

            File.Move(temp, Path.Combine(dir, id));
            return Results.Json(new PlainStored(id, size, Convert.ToHexStringLower(sha.GetHashAndReset())), PlainJson.Default.PlainStored);
        });
        app.MapGet("/v1/files/{id}", (string id, HttpContext http) =>
            http.Request.Headers.Authorization != expected ? Results.Unauthorized()
            : id.Length != 32 || !Guid.TryParseExact(id, "N", out _) ? Results.NotFound()
            : Results.File(Path.Combine(dir, id), "application/octet-stream", enableRangeProcessing: true));
        await app.RunAsync();
        return 0;
    }

    private static bool HostUsesServerGc()
    {
        var config = Path.ChangeExtension(Paths.HostDll, ".runtimeconfig.json");
        return File.Exists(config) && File.ReadAllText(config).Contains("\"System.GC.Server\": true", StringComparison.Ordinal);
    }
}

/// <summary>The plain server's answer to an upload.</summary>
internal sealed record PlainStored(string Id, long Size, string Sha256);

/// <summary>JSON source generation for the plain server (the slim builder has no reflection-based serializer).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(PlainStored))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class PlainJson : System.Text.Json.Serialization.JsonSerializerContext;
