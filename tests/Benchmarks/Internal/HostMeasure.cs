using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using GrpcPlugins.TestSupport;

namespace GrpcPlugins.Benchmarks.Internal;

/// <summary>Many concurrent uploads and downloads through the real file-transfer host and its plugins.</summary>
internal static class HostMeasure
{
    private const string AdminPassword = "benchmark-admin-password";

    public static async Task RunAsync(SuiteSettings settings, Report report, string folder)
    {
        var count = settings.HostTransfers;
        var each = settings.HostTransferBytes;
        var total = count * each;
        var dataDir = Directory.CreateDirectory(Path.Combine(folder, "host-data")).FullName;

        // The limit: the same files written (with fsync) and read back by this process.
        var local = Directory.CreateDirectory(Path.Combine(folder, "host-floor")).FullName;
        var floorWrite = await StreamMeasures.TimeAsync(total, () => Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await using var file = new FileStream(Path.Combine(local, $"{i}.bin"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true);
            await new ZeroStream(each).CopyToAsync(file, 1 << 20);
            file.Flush(flushToDisk: true);
        })));
        var floorRead = await StreamMeasures.TimeAsync(total, () => Task.WhenAll(Enumerable.Range(0, count).Select(i =>
            StreamMeasures.DrainAsync(File.OpenRead(Path.Combine(local, $"{i}.bin")), each))));
        Directory.Delete(local, recursive: true);

        var port = FreePort();
        var baseUrl = new Uri($"http://127.0.0.1:{port}");
        using var host = StartHost(baseUrl, dataDir);
        try
        {
            using var http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(10) };
            await HostReadiness.WaitUntilServingAsync(http, host, TimeSpan.FromSeconds(90), () => "(its output is not kept by the benchmark)");
            await LoginAsync(http);

            var ids = new string[count];
            var upload = await UploadAllAsync(http, count, each, ids);
            var download = await StreamMeasures.TimeAsync(total, () => Task.WhenAll(ids.Select(async id =>
            {
                using var get = await http.GetAsync($"/v1/files/{id}", HttpCompletionOption.ResponseHeadersRead);
                get.EnsureSuccessStatusCode();
                await StreamMeasures.DrainAsync(await get.Content.ReadAsStreamAsync(), each);
            })));

            var what = $"{count} concurrent {settings.Size(each)}";
            report.Add(new Row($"File-transfer host: {what} uploads", "MiB/s", upload, new("in-process write+fsync", floorWrite), null));
            report.Add(new Row($"File-transfer host: {what} downloads", "MiB/s", download, new("in-process read", floorRead), null));
            report.Note("File-transfer host: examples/FileTransfer.Host with its default plugins (UsersFileAuth, FileSystemStorage, HttpProtocol, AuditMonitor, ContentScanner), " +
                "HTTP/1.1 PUT /v1/files/{name} and GET /v1/files/{id} over loopback, aggregate rate over all transfers; each request is authorized by the auth plugin and stored by the storage plugin, " +
                "and each upload is scanned by the ContentScanner plugin on its way to storage.");
        }
        finally
        {
            await StopHostAsync(host);
        }

        // The same uploads with scanning off: the difference is what the content scanner costs an upload.
        var unscannedDir = Directory.CreateDirectory(Path.Combine(folder, "host-data-unscanned")).FullName;
        var unscannedUrl = new Uri($"http://127.0.0.1:{FreePort()}");
        using var unscannedHost = StartHost(unscannedUrl, unscannedDir, "--FileTransfer:Scanning:Enabled=false");
        try
        {
            using var http = new HttpClient { BaseAddress = unscannedUrl, Timeout = TimeSpan.FromMinutes(10) };
            await HostReadiness.WaitUntilServingAsync(http, unscannedHost, TimeSpan.FromSeconds(90), () => "(its output is not kept by the benchmark)");
            await LoginAsync(http);
            var unscanned = await UploadAllAsync(http, count, each, new string[count]);
            report.Add(new Row($"File-transfer host: {count} concurrent {settings.Size(each)} uploads, scanning off", "MiB/s", unscanned, new("in-process write+fsync", floorWrite), null));
        }
        finally
        {
            await StopHostAsync(unscannedHost);
        }
    }

    private static async Task LoginAsync(HttpClient http)
    {
        using var login = await http.PostAsJsonAsync("/v1/auth/login", new { username = "admin", password = AdminPassword });
        login.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await login.Content.ReadAsStringAsync());
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body.RootElement.GetProperty("token").GetString());
    }

    private static Task<double> UploadAllAsync(HttpClient http, int count, long each, string[] ids) =>
        StreamMeasures.TimeAsync(count * each, () => Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            using var content = new StreamContent(new ZeroStream(each), 1 << 20);
            content.Headers.ContentLength = each;
            using var put = await http.PutAsync($"/v1/files/bench-{i}.bin", content);
            put.EnsureSuccessStatusCode();
            using var body = JsonDocument.Parse(await put.Content.ReadAsStringAsync());
            ids[i] = body.RootElement.GetProperty("id").GetString()!;
        })));

    private static Process StartHost(Uri baseUrl, string dataDir, params string[] settings)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = dataDir,
        };
        start.ArgumentList.Add(Paths.HostDll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(baseUrl.ToString().TrimEnd('/'));
        start.ArgumentList.Add($"--FileTransfer:DataDir={dataDir}");
        start.ArgumentList.Add("--Logging:LogLevel:Default=Warning");
        foreach (var setting in settings)
        {
            start.ArgumentList.Add(setting);
        }

        start.Environment["FT_ADMIN_PASSWORD"] = AdminPassword;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task StopHostAsync(Process host)
    {
        if (!host.HasExited)
        {
            // SIGTERM, as a service manager stops it; its plugins then stop with it.
            using (var kill = Process.Start("kill", ["-TERM", host.Id.ToString()]))
            {
                await kill.WaitForExitAsync();
            }

            try
            {
                await host.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                host.Kill(entireProcessTree: true);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
