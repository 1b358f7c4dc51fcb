using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using GrpcPlugins.TestSupport;

namespace FileTransfer.FunctionalTests;

/// <summary>A real file-transfer host process on a free loopback port, with its own data folder.</summary>
internal sealed class HostProcess : IAsyncDisposable
{
    public const string AdminPassword = "correct-horse-battery";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly List<string> _output = [];

    private HostProcess(Process process, string baseUrl, string dataDir)
    {
        _process = process;
        BaseUrl = baseUrl;
        DataDir = dataDir;
        Http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = Timeout };
    }

    public string BaseUrl { get; }

    public string DataDir { get; }

    public HttpClient Http { get; }

    public int ProcessId => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string HostDll => Path.Combine(RepoRoot, "examples", "FileTransfer.Host", "bin", Configuration, "net10.0", "FileTransfer.Host.dll");

    public static string PluginDll(string name) => Path.Combine(Path.GetDirectoryName(HostDll)!, "plugins", name, name + ".dll");

    /// <summary>Starts a host and waits until its API answers.</summary>
    public static Task<HostProcess> StartAsync(string? dataDir = null, int? port = null, params string[] settings) =>
        StartAsync(new Dictionary<string, string>(), dataDir, port, settings);

    /// <summary>Starts the host with extra environment variables, which its plugins inherit where the allow-list lets them.</summary>
    public static async Task<HostProcess> StartAsync(IReadOnlyDictionary<string, string> environment, string? dataDir = null, int? port = null, params string[] settings)
    {
        dataDir ??= Directory.CreateTempSubdirectory("ft-host-").FullName;
        port ??= FreePort();
        var url = $"http://127.0.0.1:{port}";
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = dataDir,
        };
        startInfo.ArgumentList.Add(HostDll);
        startInfo.ArgumentList.Add("--urls");
        startInfo.ArgumentList.Add(url);
        startInfo.ArgumentList.Add($"--FileTransfer:DataDir={dataDir}");
        foreach (var setting in settings)
        {
            startInfo.ArgumentList.Add(setting);
        }

        startInfo.Environment["FT_ADMIN_PASSWORD"] = AdminPassword;
        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }

        var host = new HostProcess(Process.Start(startInfo)!, url, dataDir);
        host.Pump(host._process.StandardOutput);
        host.Pump(host._process.StandardError);
        try
        {
            await HostReadiness.WaitUntilServingAsync(host.Http, host._process, Timeout, () => host.Output);
        }
        catch
        {
            // A host that did not come up is no test's to dispose: stop it and its plugins here, or each failed start
            // leaves seven processes loading the machine for the tests after it.
            await host.DisposeAsync();
            throw;
        }

        return host;
    }

    public async Task<string> LoginAsync(string username = "admin", string password = AdminPassword)
    {
        using var response = await Http.PostAsJsonAsync("/v1/auth/login", new { username, password });
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("token").GetString()!;
    }

    public HttpClient Client(string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = Timeout };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>The process id of one of the host's plugins, from the admin API.</summary>
    public async Task<int> PluginPidAsync(string adminToken, string plugin)
    {
        using var client = Client(adminToken);
        using var body = JsonDocument.Parse(await client.GetStringAsync("/v1/plugins"));
        return body.RootElement.GetProperty("plugins").EnumerateArray()
            .Single(p => p.GetProperty("name").GetString() == plugin)
            .GetProperty("pid").GetInt32();
    }

    /// <summary>
    /// The command lines of a process and its descendants, NUL-separated: a confined plugin's pid is bubblewrap's, and
    /// the plugin's own process is its child.
    /// </summary>
    public static string TreeCommandLines(int pid)
    {
        var lines = File.ReadAllText($"/proc/{pid}/cmdline");
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            var children = Path.Combine(task, "children");
            foreach (var child in (File.Exists(children) ? File.ReadAllText(children) : string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                lines += "\n" + TreeCommandLines(int.Parse(child, System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return lines;
    }

    public void Kill() => _process.Kill(entireProcessTree: false);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            // Closing stdin is not what stops a host; SIGTERM is, as from a service manager.
            Signal("TERM");
            await Task.WhenAny(_process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(20)));
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }

    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString()]);
        kill.WaitForExit();
    }

    private void Pump(StreamReader reader) => _ = Task.Run(async () =>
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_output)
            {
                _output.Add(line);
            }
        }
    });

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GrpcPlugins.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("GrpcPlugins.sln not found above " + AppContext.BaseDirectory);
    }
}
