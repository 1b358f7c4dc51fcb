using System.Diagnostics;
using System.Text.Json;

namespace GrpcPlugins.Management.Tests;

/// <summary>The grpcplugins tool, as a real process, against the minimal host with the routes mounted at a path of its own.</summary>
public sealed class CliTests
{
    [Fact]
    public async Task Tool_AgainstMinimalHostAtOwnPath_InstallListStartStopUninstall()
    {
        // Arrange
        var work = Directory.CreateTempSubdirectory("mgmt-cli-").FullName;
        var (key, trusted) = TestPackages.Key(work);
        var package = TestPackages.EchoAuth(work, key);
        await using var host = await MinimalHost.StartAsync(trusted, prefix: "/ops/plugins");
        string[] remote = ["--server", host.BaseUrl, "--base-path", "/ops/plugins", "--token", MinimalHost.AdminToken];
        using var admin = host.Client(MinimalHost.AdminToken);

        // Act
        var install = await RunToolAsync(work, ["install", package, .. remote]);
        var start = await RunToolAsync(work, ["start", "echo-auth", .. remote]);
        var running = JsonDocument.Parse(await admin.GetStringAsync("/ops/plugins/echo-auth")).RootElement.Clone();
        var list = await RunToolAsync(work, ["list", .. remote]);
        var anonymous = await RunToolAsync(work, "list", "--server", host.BaseUrl, "--base-path", "/ops/plugins");
        var wrongPath = await RunToolAsync(work, "stop", "echo-auth", "--server", host.BaseUrl, "--token", MinimalHost.AdminToken);
        var stop = await RunToolAsync(work, ["stop", "echo-auth", .. remote]);
        var stopped = JsonDocument.Parse(await admin.GetStringAsync("/ops/plugins/echo-auth")).RootElement.Clone();
        var fromEnvironment = await RunToolAsync(work, ["uninstall", "echo-auth"], new Dictionary<string, string?>
        {
            ["GRPCPLUGINS_SERVER"] = host.BaseUrl,
            ["GRPCPLUGINS_BASE_PATH"] = "/ops/plugins",
            ["GRPCPLUGINS_TOKEN"] = MinimalHost.AdminToken,
        });
        var missing = await RunToolAsync(work, ["uninstall", "echo-auth", .. remote]);

        // Assert
        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.Contains("installed echo-auth 1.0.0", install.Stdout);
        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.Equal("running", running.GetProperty("status").GetString());
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("echo-auth", list.Stdout);
        Assert.Contains("memory", list.Stdout);
        Assert.Contains(running.GetProperty("pid").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture), list.Stdout);
        Assert.Equal(3, anonymous.ExitCode);
        Assert.Contains("401", anonymous.Stderr);
        Assert.Contains("--token", anonymous.Stderr);
        Assert.Equal(4, wrongPath.ExitCode);
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Equal("stopped", stopped.GetProperty("status").GetString());
        Assert.True(await TestPackages.ExitedAsync(running.GetProperty("pid").GetInt32()));
        Assert.True(fromEnvironment.ExitCode == 0, fromEnvironment.ToString());
        Assert.False(Directory.Exists(Path.Combine(host.PluginsDir, "echo-auth")));
        Assert.Equal(4, missing.ExitCode);
    }

    [Fact]
    public async Task Tool_PluginsDirFromEnvironment_LocalVerbsUseThatFolder()
    {
        // Arrange
        var work = Directory.CreateTempSubdirectory("mgmt-cli-").FullName;
        var (key, trusted) = TestPackages.Key(work);
        var package = TestPackages.EchoAuth(work, key);
        var folder = Path.Combine(work, "elsewhere", "plugins");
        var environment = new Dictionary<string, string?> { ["GRPCPLUGINS_PLUGINS_DIR"] = folder };

        // Act
        var install = await RunToolAsync(work, ["install", package, "--trusted-key", trusted], environment);
        var list = await RunToolAsync(work, ["list"], environment);
        var flag = await RunToolAsync(work, ["list", "--plugins-dir", Path.Combine(work, "empty")], environment);

        // Assert
        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.True(File.Exists(Path.Combine(folder, "echo-auth", "plugin.json")));
        Assert.False(Directory.Exists(Path.Combine(work, "data")));
        Assert.Contains("echo-auth", list.Stdout);
        Assert.True(flag.ExitCode == 0, flag.ToString());
        Assert.DoesNotContain("echo-auth", flag.Stdout);
    }

    internal static Task<ToolResult> RunToolAsync(string work, params string[] args) => RunToolAsync(work, args, new Dictionary<string, string?>());

    internal static async Task<ToolResult> RunToolAsync(string work, string[] args, IReadOnlyDictionary<string, string?> environment)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = work,
        };
        startInfo.ArgumentList.Add(TestPackages.ToolDll);
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        // Only what the test sets: none of the tool's variables leak in from the environment running the tests.
        foreach (var name in new[] { "GRPCPLUGINS_SERVER", "GRPCPLUGINS_HOST", "GRPCPLUGINS_BASE_PATH", "GRPCPLUGINS_TOKEN", "GRPCPLUGINS_PLUGINS_DIR" })
        {
            startInfo.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }

        startInfo.Environment["COLUMNS"] = "200";
        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TestPackages.Timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new ToolResult(process.ExitCode, await stdout.WaitAsync(TestPackages.Timeout), await stderr.WaitAsync(TestPackages.Timeout));
    }

    internal sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
    }
}
