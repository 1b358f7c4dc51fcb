using System.Diagnostics;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.FunctionalTests;

/// <summary>Plugins that break the protocol: each gives a clear <see cref="PluginException"/>, none hangs the host.</summary>
public sealed class BadPluginTests
{
    [Fact]
    public async Task Plugin_RunByHandWithoutCookie_PrintsWhyAndExitsNonZero()
    {
        var startInfo = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        startInfo.ArgumentList.Add(TestPlugins.Dll("tests", "GrpcPlugins.TestPlugin"));
        startInfo.ArgumentList.Add("storage");
        startInfo.Environment.Remove(PluginProtocol.MagicCookieKey);
        using var process = Process.Start(startInfo)!;

        var stderr = await process.StandardError.ReadToEndAsync().WaitAsync(TestPlugins.Timeout);
        var stdout = await process.StandardOutput.ReadToEndAsync().WaitAsync(TestPlugins.Timeout);
        await process.WaitForExitAsync().WaitAsync(TestPlugins.Timeout);

        Assert.NotEqual(0, process.ExitCode);
        Assert.StartsWith("This is a plugin, started by a host", stderr);
        Assert.Equal(string.Empty, stdout);
    }

    [Fact]
    public async Task Plugin_AskedToWatchStdinAndStartedWithItAlreadyClosed_ExitsCleanly()
    {
        var startInfo = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        startInfo.ArgumentList.Add(TestPlugins.Dll("tests", "GrpcPlugins.TestPlugin"));
        startInfo.ArgumentList.Add("storage");
        startInfo.Environment[PluginProtocol.MagicCookieKey] = PluginProtocol.MagicCookieValue;
        startInfo.Environment[PluginProtocol.ProtocolVersionsVariable] = "1";
        startInfo.Environment[PluginProtocol.StdinWatchVariable] = "1";
        using var process = Process.Start(startInfo)!;
        process.StandardInput.Close();

        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TestPlugins.Timeout);

        Assert.Equal(0, process.ExitCode);
        Assert.DoesNotContain("Unhandled exception", await stderr.WaitAsync(TestPlugins.Timeout));
        Assert.Contains("stdin closed", await stderr.WaitAsync(TestPlugins.Timeout));
        _ = await stdout.WaitAsync(TestPlugins.Timeout);
    }

    [Fact]
    public async Task Start_GarbageHandshakeThenExit_SaysWhatItPrinted()
    {
        var error = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(TestPlugins.TestPlugin("garbage", PluginType.Storage)));

        Assert.Equal(PluginErrorCode.Unavailable, error.Code);
        Assert.Contains("exited with code 0 before printing its handshake line", error.Message);
        Assert.Contains("1|1|carrier-pigeon|coop-7|grpc|", error.Message);
        Assert.Contains("neither 'unix' nor 'tcp'", error.Message);
    }

    [Fact]
    public async Task Start_ExitsBeforeHandshake_ReportsExitCodeAndStderr()
    {
        var error = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(TestPlugins.TestPlugin("exit-early", PluginType.Storage)));

        Assert.Equal(PluginErrorCode.Unavailable, error.Code);
        Assert.Contains("exited with code 3", error.Message);
        Assert.Contains("fatal: the config file /etc/testplugin.conf is missing", error.Message);
    }

    [Fact]
    public async Task Start_NeverHandshakes_TimesOutAndKillsProcess()
    {
        var options = TestPlugins.TestPlugin("hang", PluginType.Storage);
        options.StartTimeout = TimeSpan.FromSeconds(2);
        var logs = new CapturedLogs();

        var error = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(options, logs));

        Assert.Equal(PluginErrorCode.Timeout, error.Code);
        Assert.Contains("did not print its handshake line within 2 s", error.Message);
        var pid = int.Parse(System.Text.RegularExpressions.Regex.Match(error.Message, @"process (\d+)").Groups[1].Value);
        Assert.False(PluginTypesTests.ProcessIsAlive(pid));
    }

    [Fact]
    public async Task Start_StrayLineThenSilence_TimeoutMentionsTheLine()
    {
        var options = TestPlugins.TestPlugin("garbage-then-hang", PluginType.Storage);
        options.StartTimeout = TimeSpan.FromSeconds(2);

        var error = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(options));

        Assert.Equal(PluginErrorCode.Timeout, error.Code);
        Assert.Contains("READY on port 7000", error.Message);
    }

    [Fact]
    public async Task Start_PluginChoosesNewerVersion_SaysToUpgradeHost()
    {
        var error = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(TestPlugins.TestPlugin("future-version", PluginType.Storage)));

        Assert.Equal(PluginErrorCode.FailedPrecondition, error.Code);
        Assert.Contains("chose API version v7, but this host speaks v1, v2. Upgrade the host.", error.Message);
    }

    [Fact]
    public async Task Start_PluginSpeaksOnlyNewerApi_PluginRefusesAndSaysWhichSideToUpgrade()
    {
        var error = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(TestPlugins.TestPlugin("v3-only", PluginType.Storage)));

        Assert.Contains("This plugin speaks API versions v3, but the host speaks only v1, v2", error.Message);
        Assert.Contains("Upgrade the host", error.Message);
    }

    [Fact]
    public async Task Start_NetRpcPlugin_SaysOnlyGrpcIsSpoken()
    {
        var options = TestPlugins.TestPlugin("netrpc", PluginType.Storage);
        options.StartTimeout = TimeSpan.FromSeconds(2);

        var error = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(options));

        Assert.Contains("speaks 'netrpc', but this host speaks only 'grpc'", error.Message);
    }

    [Fact]
    public async Task Start_BannerBeforeHandshake_WarnsAndServes()
    {
        var logs = new CapturedLogs();
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("banner", PluginType.Storage), logs);

        var stats = await plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout);

        Assert.Equal(0, stats.TotalItems);
        Assert.True(logs.Contains("AcmeLib 2.1", LogLevel.Warning));
    }

    [Fact]
    public async Task Start_WrongType_RefusesWithBothTypes()
    {
        var error = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Auth)));

        Assert.Equal(PluginErrorCode.FailedPrecondition, error.Code);
        Assert.Contains("is a storage plugin, but it is configured as auth", error.Message);
    }

    [Fact]
    public async Task Start_MissingCommand_SaysToBuildOrFixCommand()
    {
        var options = TestPlugins.TestPlugin("storage", PluginType.Storage);
        options.Command = Path.Combine(Path.GetTempPath(), "no-such-plugin.dll");

        var error = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(options));

        Assert.Equal(PluginErrorCode.FailedPrecondition, error.Code);
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public async Task Start_InvalidOptions_ListsEveryProblem()
    {
        var options = new PluginOptions { Name = "x", Command = "", ChunkSize = 0 };

        var error = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(options));

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains("has no valid Type", error.Message);
        Assert.Contains("has no Command", error.Message);
        Assert.Contains("ChunkSize 0", error.Message);
    }
}
