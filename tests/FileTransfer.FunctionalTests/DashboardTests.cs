using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GrpcPlugins.Packaging;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// The web dashboard in a real browser: Debian's chromium driven by playwright-core (tests/tools), against a real host.
/// The browser steps are in tests/tools/dashboard.browser.mjs; this test starts the host, runs them, and checks the
/// screenshots they leave in tests/artifacts/dashboard*.png (signed out, empty, plugin detail, dark theme and more).
/// </summary>
public sealed class DashboardTests
{
    private static readonly TimeSpan BrowserTimeout = TimeSpan.FromSeconds(240);

    private static string Tools => Path.Combine(HostProcess.RepoRoot, "tests", "tools");

    private static string Chromium => Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium";

    [Fact]
    public async Task Dashboard_AdminAndReaderInChromium_SeePluginsFilesAndTransfers()
    {
        // Arrange
        RequireBrowserTools();
        // With the share-links route plugin, so that the detail view has routes to show; its Python code is generated
        // first, since the plugin runs confined and cannot write its own folder.
        await PythonPlugins.BuildAsync("PythonShareLinks");
        await using var host = await HostProcess.StartAsync(settings: ["--FileTransfer:Packages:AllowUnsigned=true", .. ShareLinksPluginTests.Settings]);
        await AuthApiTests.AddUserAsync(host, "rita", "reader", "ritas-password");
        var package = PackAuditMonitorCopy(host.DataDir);
        var upgrade = PackAuditMonitorCopy(host.DataDir, "1.3.0");
        var screenshot = Path.Combine(HostProcess.RepoRoot, "tests", "artifacts", "dashboard.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        File.Delete(screenshot);

        // Act
        var (exitCode, output) = await RunNodeAsync(
            Path.Combine(Tools, "dashboard.browser.mjs"),
            new Dictionary<string, string>
            {
                ["FT_URL"] = host.BaseUrl,
                ["FT_ADMIN_PASSWORD"] = HostProcess.AdminPassword,
                ["FT_READER"] = "rita",
                ["FT_READER_PASSWORD"] = "ritas-password",
                ["FT_SCREENSHOT"] = screenshot,
                ["FT_PACKAGE"] = package,
                ["FT_PACKAGE_NAME"] = "audit-copy",
                ["FT_PACKAGE_UPGRADE"] = upgrade,
                ["CHROMIUM"] = Chromium,
            });

        // Assert
        Assert.True(exitCode == 0, $"The browser test failed (exit {exitCode}):\n{output}\nHost output:\n{host.Output}");
        Assert.Contains("ok - admin sees the plugins users, files, http, audit, scanner running", output, StringComparison.Ordinal);
        Assert.Contains("ok - the content scanner shows as a custom plugin", output, StringComparison.Ordinal);
        Assert.Contains("ok - rita (not an admin) sees an empty file list, not the admin's file, and no plugin management", output, StringComparison.Ordinal);
        Assert.Contains("ok - rita sees an empty transfer list, not the transfer the admin started", output, StringComparison.Ordinal);
        Assert.Contains("ok - installed audit-copy from the page, started, disabled and uninstalled it", output, StringComparison.Ordinal);
        Assert.Contains("ok - uploading audit-copy 1.3.0 upgraded the running plugin in place: running, new version, new process", output, StringComparison.Ordinal);
        Assert.Contains("ok - signed out, the header shows no 'Signed in as'", output, StringComparison.Ordinal);
        Assert.Contains("ok - a fresh host shows empty states and Send file stays disabled until there is a file to send", output, StringComparison.Ordinal);
        Assert.Contains("ok - the transfer card shows its id, start time, duration and speed", output, StringComparison.Ordinal);
        Assert.Contains("ok - the files plugin's detail view draws calls, latency and errors charts with data", output, StringComparison.Ordinal);
        Assert.Contains("ok - the shares plugin's detail view shows its HTTP routes with their access and its callback grants", output, StringComparison.Ordinal);
        Assert.Contains("ok - the quota plugin's detail view shows where it runs as HTTP middleware", output, StringComparison.Ordinal);
        Assert.Contains("ok - the config form generated from audit-copy's schema shows an invalid value inline, then saves a valid one", output, StringComparison.Ordinal);
        Assert.Contains("ok - moving audit-copy to the front puts it first among the monitor plugins", output, StringComparison.Ordinal);
        Assert.Contains("ok - the dark theme applies from the toggle and stays after a reload", output, StringComparison.Ordinal);
        Assert.Contains("ok - the page logged no script errors", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(host.DataDir, "plugins", "audit-copy")), "The uninstalled plugin's folder is still there.");
        Assert.True(new FileInfo(screenshot).Length > 0, $"No screenshot at {screenshot}.");
    }

    [Fact]
    public async Task Get_RootAndUnknownRoutes_ServesDashboardAndJson404()
    {
        // Arrange
        await using var host = await HostProcess.StartAsync();

        // Act
        using var root = await host.Http.GetAsync("/");
        var html = await root.Content.ReadAsStringAsync();
        using var script = await host.Http.GetAsync("/js/app.js");
        using var unknownApi = await host.Http.GetAsync("/v1/no-such-route");
        var problem = await unknownApi.Content.ReadFromJsonAsync<JsonElement>();
        using var unknownPage = await host.Http.GetAsync("/no-such-page");

        // Assert
        Assert.Equal(HttpStatusCode.OK, root.StatusCode);
        Assert.Equal("text/html", root.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<script type=\"module\" src=\"js/app.js\"></script>", html, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", root.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, unknownApi.StatusCode);
        Assert.Equal("application/problem+json", unknownApi.Content.Headers.ContentType?.MediaType);
        Assert.Equal("not_found", problem.GetProperty("code").GetString());
        Assert.Contains("GET /v1/no-such-route", problem.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknownPage.StatusCode);
        Assert.Equal("application/problem+json", unknownPage.Content.Headers.ContentType?.MediaType);
    }

    // An unsigned package of the AuditMonitor example under another name: a real plugin the page can install and run.
    private static string PackAuditMonitorCopy(string workDir, string version = "1.2.0")
    {
        var folder = Directory.CreateDirectory(Path.Combine(workDir, $"audit-copy-package-{version}")).FullName;
        var built = Path.GetDirectoryName(HostProcess.PluginDll("AuditMonitor"))!;
        foreach (var file in Directory.EnumerateFiles(built, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(folder, Path.GetRelativePath(built, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        File.WriteAllText(Path.Combine(folder, PluginManifest.FileName), JsonSerializer.Serialize(new
        {
            name = "audit-copy",
            version,
            description = "A second audit log, installed from the dashboard test",
            authors = new[] { "GrpcPlugins tests" },
            builder = new { name = "GrpcPlugins tests", contact = "https://github.com/grpcplugins" },
            sourceUrl = "https://github.com/grpcplugins",
            types = new[] { "monitor" },
            entrypoint = new { command = "AuditMonitor.dll", args = Array.Empty<string>() },
            apiVersions = new[] { "v2" },
            hostVersions = ">= 0.1",
            priority = 500,
            configSchema = new
            {
                type = "object",
                properties = new
                {
                    audit_log = new { type = "string", description = "The file audit events are appended to.", @default = Path.Combine(workDir, "audit-copy.log") },
                    flush_interval_ms = new { type = "integer", minimum = 1, description = "How often events are written out, in milliseconds." },
                    otlp_protocol = new { type = "string", @enum = new[] { "grpc", "http/protobuf" }, description = "How events are exported when otlp_endpoint is set." },
                },
            },
        }));
        var package = Path.Combine(workDir, $"audit-copy-{version}.zip");
        PackageBuilder.Pack(folder, package);
        return package;
    }

    // Missing tools fail the test with the way to install them; tests/run-all.sh installs both.
    internal static void RequireBrowserTools()
    {
        var missing = new List<string>();
        if (!File.Exists(Chromium))
        {
            missing.Add($"chromium at {Chromium} (Debian: sudo apt-get install chromium; or set CHROMIUM to a Chromium binary)");
        }

        if (!Directory.Exists(Path.Combine(Tools, "node_modules", "playwright-core")))
        {
            missing.Add($"playwright-core (cd {Tools} && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci)");
        }

        Assert.True(missing.Count == 0, "The dashboard browser test needs " + string.Join(" and ", missing) + ". bash tests/run-all.sh installs them.");
    }

    internal static async Task<(int ExitCode, string Output)> RunNodeAsync(string script, Dictionary<string, string> environment)
    {
        var startInfo = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Tools };
        startInfo.ArgumentList.Add(script);
        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }

        using var process = Process.Start(startInfo)!;
        var output = new StringBuilder();
        var stdout = PumpAsync(process.StandardOutput, output);
        var stderr = PumpAsync(process.StandardError, output);
        try
        {
            await process.WaitForExitAsync().WaitAsync(BrowserTimeout);
        }
        catch (TimeoutException)
        {
            // Node and the chromium it launched go together, so no browser outlives the test.
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The browser test did not finish within {BrowserTimeout}:\n{output}");
        }

        await Task.WhenAll(stdout, stderr).WaitAsync(BrowserTimeout);
        return (process.ExitCode, output.ToString());
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder into)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (into)
            {
                into.AppendLine(line);
            }
        }
    }
}
