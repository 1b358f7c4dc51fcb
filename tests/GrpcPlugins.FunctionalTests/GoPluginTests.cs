using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using GrpcPlugins.Auth.V1;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Storage.V1;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.FunctionalTests;

/// <summary>
/// HashiCorp go-plugin both ways, with Debian's go-plugin 1.0.1: a Go plugin built with go-plugin under a GrpcPlugins
/// host in go-plugin mode, and a go-plugin host running a GrpcPlugins plugin (tests/goplugin).
/// </summary>
public sealed class GoPluginTests(ITestOutputHelper output)
{
    [Fact]
    public async Task GoPlugin_Auth_SignsInAndAuthorizesWithoutLifecycleService()
    {
        await using var plugin = await TestPlugins.StartAsync(await GoPrograms.PluginOptionsAsync(PluginType.Auth));

        var login = await plugin.Auth.AuthenticateAsync(new AuthenticateRequest { Type = AuthType.Password, Username = "alice", Password = "secret" }).WaitAsync(TestPlugins.Timeout);
        var read = await plugin.Auth.AuthorizeAsync(login.Token, "files/1", Auth.V1.Action.Read).WaitAsync(TestPlugins.Timeout);
        var delete = await plugin.Auth.AuthorizeAsync(login.Token, "files/1", Auth.V1.Action.Delete).WaitAsync(TestPlugins.Timeout);
        var wrong = await Assert.ThrowsAsync<PluginException>(() => plugin.Auth.AuthenticateAsync(new AuthenticateRequest { Type = AuthType.Password, Username = "alice", Password = "nope" }).WaitAsync(TestPlugins.Timeout));

        Assert.Equal(PluginType.Auth, plugin.Metadata.Type);
        Assert.Equal("go-token-alice", login.Token);
        Assert.True(read.Allowed);
        Assert.Equal("go plugin decided for files/1", read.Reason);
        Assert.False(delete.Allowed);
        Assert.Equal(PluginErrorCode.Unauthenticated, wrong.Code);
    }

    [Fact]
    public async Task GoPlugin_Storage_RoundTripsStreamedContentWithSha256()
    {
        await using var plugin = await TestPlugins.StartAsync(await GoPrograms.PluginOptionsAsync(PluginType.Storage));
        var content = RandomNumberGenerator.GetBytes(3_000_017);

        var stored = await plugin.Storage.StoreAsync(new ObjectMetadata { Name = "report.bin", MimeType = "application/octet-stream" }, new MemoryStream(content)).WaitAsync(TestPlugins.Timeout);
        byte[] whole;
        await using (var download = await plugin.Storage.RetrieveAsync(stored.Id).WaitAsync(TestPlugins.Timeout))
        {
            whole = await ReadAllAsync(download.Content);
        }

        byte[] range;
        await using (var download = await plugin.Storage.RetrieveAsync(stored.Id, offset: 100_000, length: 70_000).WaitAsync(TestPlugins.Timeout))
        {
            range = await ReadAllAsync(download.Content);
        }

        var list = await plugin.Storage.ListAsync(new ListRequest { Prefix = "rep" }).WaitAsync(TestPlugins.Timeout);
        await plugin.Storage.DeleteAsync(stored.Id).WaitAsync(TestPlugins.Timeout);
        var gone = await Assert.ThrowsAsync<PluginException>(() => plugin.Storage.DeleteAsync(stored.Id).WaitAsync(TestPlugins.Timeout));

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), stored.Metadata.Sha256);
        Assert.Equal(content.Length, stored.Metadata.Size);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(whole));
        Assert.Equal(content.AsSpan(100_000, 70_000).ToArray(), range);
        Assert.Equal(stored.Id, Assert.Single(list.Items).Id);
        Assert.Equal(PluginErrorCode.NotFound, gone.Code);
    }

    [Fact]
    public async Task GoPlugin_Panics_PanicLoggedAsErrorAndPluginRestarted()
    {
        var logs = new CapturedLogs();
        var options = await GoPrograms.PluginOptionsAsync(PluginType.Auth);
        options.RestartDelay = TimeSpan.FromMilliseconds(10);
        await using var plugin = await TestPlugins.StartAsync(options, logs);
        var firstPid = plugin.ProcessId;

        var crash = await Assert.ThrowsAsync<PluginException>(() => plugin.Auth.AuthenticateAsync(new AuthenticateRequest { Type = AuthType.Password, Username = "panic", Password = "secret" }).WaitAsync(TestPlugins.Timeout));
        using var deadline = new CancellationTokenSource(TestPlugins.Timeout);
        while (!(plugin.RestartCount >= 1 && plugin.State == Hosting.PluginState.Running))
        {
            await Task.Delay(50, deadline.Token);
        }

        var login = await plugin.Auth.AuthenticateAsync(new AuthenticateRequest { Type = AuthType.Password, Username = "alice", Password = "secret" }).WaitAsync(TestPlugins.Timeout);
        await logs.WaitForAsync("panic: the go test plugin was asked to panic", TestPlugins.Timeout);

        Assert.Equal(PluginErrorCode.Unavailable, crash.Code);
        Assert.NotEqual(firstPid, plugin.ProcessId);
        Assert.Equal("go-token-alice", login.Token);
        Assert.Contains(logs.Lines, l => l.Level == LogLevel.Error
            && l.Message.Contains("panic: the go test plugin was asked to panic", StringComparison.Ordinal)
            && l.Message.Contains("goroutine ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GoPlugin_HclogJsonLines_ArriveAtTheirLevels()
    {
        var logs = new CapturedLogs();
        await using var plugin = await TestPlugins.StartAsync(await GoPrograms.PluginOptionsAsync(PluginType.Auth), logs);
        await logs.WaitForAsync("level check check=levels", TestPlugins.Timeout);
        using var deadline = new CancellationTokenSource(TestPlugins.Timeout);
        while (LevelsSeen(logs).Count < 5)
        {
            await Task.Delay(20, deadline.Token);
        }

        Assert.Equal([LogLevel.Trace, LogLevel.Debug, LogLevel.Information, LogLevel.Warning, LogLevel.Error], LevelsSeen(logs));
        Assert.All(logs.Lines.Where(l => l.Message.Contains("level check", StringComparison.Ordinal)), l => Assert.Contains("goplugin-test", l.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task GoPlugin_WritesMoreThanAPipeOfOutputAfterStart_DoesNotBlock()
    {
        var logs = new CapturedLogs();
        await using var plugin = await TestPlugins.StartAsync(await GoPrograms.PluginOptionsAsync(PluginType.Auth), logs);

        // 256 KiB on each of stdout and stderr, four times a Linux pipe's 64 KiB: the call returns only if the host reads both.
        var login = await plugin.Auth.AuthenticateAsync(new AuthenticateRequest { Type = AuthType.Password, Username = "flood", Password = "secret" }).WaitAsync(TestPlugins.Timeout);
        await logs.WaitForAsync("flood done", TestPlugins.Timeout);

        // stdout and stderr are read by two pumps; stderr's last lines may still be on their way when stdout's marker is logged.
        var floodLine = new string('x', 1023);
        using var deadline = new CancellationTokenSource(TestPlugins.Timeout);
        while (logs.Lines.Count(l => l.Message.Contains(floodLine, StringComparison.Ordinal)) < 512 && !deadline.IsCancellationRequested)
        {
            await Task.Delay(20);
        }

        Assert.Equal("go-token-flood", login.Token);
        Assert.Equal(512, logs.Lines.Count(l => l.Message.Contains(floodLine, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task GoPlugin_HostSigkilled_PluginDoesNotOutliveIt()
    {
        var startInfo = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        startInfo.ArgumentList.Add(TestPlugins.Dll("tests", "GrpcPlugins.TestHost"));
        startInfo.ArgumentList.Add(await GoPrograms.PluginAsync());
        startInfo.ArgumentList.Add("goplugin");
        using var host = Process.Start(startInfo)!;
        _ = host.StandardError.ReadToEndAsync();
        var pidLine = await host.StandardOutput.ReadLineAsync().WaitAsync(TestPlugins.Timeout);
        var pluginPid = int.Parse(pidLine!["pid ".Length..]);
        Assert.True(PluginTypesTests.ProcessIsAlive(pluginPid));

        host.Kill(); // SIGKILL: the host gets no chance to stop its plugin, and a go-plugin plugin does not watch stdin.
        await host.WaitForExitAsync().WaitAsync(TestPlugins.Timeout);
        using var deadline = new CancellationTokenSource(TestPlugins.Timeout);
        while (PluginTypesTests.ProcessIsAlive(pluginPid) && !deadline.IsCancellationRequested)
        {
            await Task.Delay(50);
        }

        Assert.False(PluginTypesTests.ProcessIsAlive(pluginPid), $"The go-plugin plugin (process {pluginPid}) outlived its SIGKILLed host.");
    }

    [Fact]
    public async Task GoPluginHost_RunsSdkPluginWithStdinAtDevNull_CallsItStreamsStdioAndKillStopsItThroughController()
    {
        // go-plugin hands the plugin the host's own stdin; here that is /dev/null, as under systemd or in CI.
        var startInfo = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add("exec \"$0\" \"$@\" < /dev/null");
        startInfo.ArgumentList.Add(await GoPrograms.HostAsync());
        startInfo.ArgumentList.Add("dotnet");
        startInfo.ArgumentList.Add(TestPlugins.Dll("tests", "GrpcPlugins.TestPlugin"));
        startInfo.ArgumentList.Add("goplugin-auth");
        using var host = Process.Start(startInfo)!;
        var stderr = host.StandardError.ReadToEndAsync();
        var stdout = await host.StandardOutput.ReadToEndAsync().WaitAsync(TestPlugins.Timeout);
        await host.WaitForExitAsync().WaitAsync(TestPlugins.Timeout);
        var log = await stderr.WaitAsync(TestPlugins.Timeout);
        output.WriteLine(stdout);

        using var result = JsonDocument.Parse(stdout);
        var root = result.RootElement;
        Assert.True(host.ExitCode == 0, $"The go-plugin host failed: {stdout}{Environment.NewLine}{log}");
        Assert.Equal("tok-alice", root.GetProperty("token").GetString());

        // What the plugin wrote to Console.Out came through go-plugin's GRPCStdio, as a go-plugin 1.3+ host reads it.
        Assert.StartsWith("console line ", root.GetProperty("stdio").GetString(), StringComparison.Ordinal);
        output.WriteLine($"go-plugin Kill() took {root.GetProperty("killMs").GetDouble():0.#} ms");

        // Exit code 0: the plugin stopped by itself on GRPCController/Shutdown; go-plugin kills it (-1) only if it does not.
        Assert.Equal(0, root.GetProperty("exitCode").GetInt32());
        Assert.Contains("the go-plugin host called GRPCController/Shutdown", log, StringComparison.Ordinal);

        // The SDK logs in hclog's JSON under a go-plugin host, so go-plugin keeps the level instead of logging all at DEBUG.
        Assert.Contains(log.Split('\n'), l => l.Contains("[INFO]", StringComparison.Ordinal) && l.Contains("serving Auth on unix", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.GetDirectoryName(root.GetProperty("address").GetString())), "The plugin's socket folder was left behind.");
        Assert.False(PluginTypesTests.ProcessIsAlive(root.GetProperty("pid").GetInt32()));
    }

    private static List<LogLevel> LevelsSeen(CapturedLogs logs) =>
        [.. logs.Lines.Where(l => l.Message.Contains("level check check=levels", StringComparison.Ordinal)).Select(l => l.Level).Distinct().Order()];

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer).WaitAsync(TestPlugins.Timeout);
        return buffer.ToArray();
    }
}
