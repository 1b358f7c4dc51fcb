using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using GrpcPlugins.TestSupport;

namespace GrpcPlugins.Benchmarks.Internal.Servers;

/// <summary>examples/FileTransfer.Host with its plugins, started as a service manager would, logged in as its admin.</summary>
internal static class FileTransferServer
{
    private const string AdminPassword = "benchmark-admin-password";

    /// <summary>
    /// Settings that keep a busy machine from failing the run: the quota middleware (off by default) fails open, and
    /// each default plugin gets 5 minutes to start instead of 60 s.
    /// </summary>
    public static readonly string[] LoadTolerant =
    [
        "--FileTransfer:MiddlewareFailOpen:0=quota",
        .. new[] { "users", "files", "http", "audit", "quota", "scanner" }.Select(p => $"--Plugins:{p}:StartTimeout=00:05:00"),
    ];

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
        // The last lines of its output, to say why when it does not start.
        var tail = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void Keep(string? line)
        {
            if (line is not null)
            {
                tail.Enqueue(line);
                while (tail.Count > 40 && tail.TryDequeue(out _))
                {
                }
            }
        }

        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(2) };
            await HostReadiness.WaitUntilServingAsync(http, process, TimeSpan.FromMinutes(5), () => string.Join(Environment.NewLine, tail));
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
