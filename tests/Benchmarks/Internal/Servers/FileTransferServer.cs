using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using GrpcPlugins.TestSupport;

namespace GrpcPlugins.Benchmarks.Internal.Servers;

/// <summary>examples/FileTransfer.Host with its plugins, started as a service manager would, logged in as its admin.</summary>
internal static class FileTransferServer
{
    private const string AdminPassword = "benchmark-admin-password";

    /// <summary>Settings that keep a busy machine from failing requests: the quota middleware (off by default) fails open.</summary>
    public static readonly string[] LoadTolerant = ["--FileTransfer:MiddlewareFailOpen:0=quota"];

    /// <summary>Starts a host with its own data folder; settings are extra host arguments (--Key=Value).</summary>
    public static async Task<ServerUnderTest> StartAsync(string name, string dataDir, IEnumerable<string> settings)
    {
        Directory.CreateDirectory(dataDir);
        var baseUrl = new Uri($"http://127.0.0.1:{Ports.Free()}");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = dataDir,
        };
        foreach (var arg in new[] { Paths.HostDll, "--urls", baseUrl.ToString().TrimEnd('/'), $"--FileTransfer:DataDir={dataDir}", "--Logging:LogLevel:Default=Warning" }.Concat(settings))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["FT_ADMIN_PASSWORD"] = AdminPassword;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(2) };
            await HostReadiness.WaitUntilServingAsync(http, process, TimeSpan.FromSeconds(90), () => "(its output is not kept by the benchmark)");
            using var login = await http.PostAsJsonAsync("/v1/auth/login", new { username = "admin", password = AdminPassword });
            login.EnsureSuccessStatusCode();
            using var body = JsonDocument.Parse(await login.Content.ReadAsStringAsync());
            var token = body.RootElement.GetProperty("token").GetString()!;
            return new ServerUnderTest(name, baseUrl, token, process, () => Signals.TermAsync(process), IdFromBody: true);
        }
        catch
        {
            await Signals.TermAsync(process);
            throw;
        }
    }
}
