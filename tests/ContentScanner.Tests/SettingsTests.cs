using Grpc.Core;
using GrpcPlugins;
using GrpcPlugins.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ContentScanner.Tests;

/// <summary>
/// The scanner's settings (<see cref="ContentScannerSettings"/>) bound and validated by the SDK at Init, sent through
/// real gRPC as a host sends them (<see cref="PluginTestServer"/>, configured as Program.cs configures the plugin).
/// </summary>
public sealed class SettingsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("max_size_bytes", "-1", "The 'max_size_bytes' setting is '-1', which is not valid: The field max_size_bytes must be 0 (no limit) or a number of bytes")]
    [InlineData("max_size_bytes", "ten", "The 'max_size_bytes' setting is 'ten', which is not a whole number.")]
    [InlineData("max_size_bytes", "1.5", "The 'max_size_bytes' setting is '1.5', which is not a whole number.")]
    [InlineData("refused_media_types", "exe", "The 'refused_media_types' setting lists 'exe', which is not a media type")]
    [InlineData("refused_media_types", "application/x-msdownload,a/b/c, application/", "The 'refused_media_types' setting lists 'a/b/c', 'application/', which are not media types")]
    public async Task Init_BadSetting_InvalidArgumentNamingKeyAndValue(string key, string value, string expected)
    {
        await using var plugin = await StartAsync();

        var rpc = await Assert.ThrowsAsync<RpcException>(() => plugin.InitAsync(new Dictionary<string, string> { [key] = value }).WaitAsync(Timeout));
        var error = PluginErrors.FromRpcException(rpc);

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_AgainWithOtherSettings_ScansWithTheNewOnesAndARefusedInitKeepsThem()
    {
        await using var plugin = await StartAsync();
        var scanner = plugin.Services.GetRequiredService<ContentScannerService>();

        await plugin.InitAsync(new Dictionary<string, string> { ["max_size_bytes"] = "1000", ["refused_media_types"] = "Application/X-DosExec; q=1" }).WaitAsync(Timeout);
        var first = scanner.Rules;
        await Assert.ThrowsAsync<RpcException>(() => plugin.InitAsync(new Dictionary<string, string> { ["max_size_bytes"] = "-5" }).WaitAsync(Timeout));
        var afterRefused = scanner.Rules;
        await plugin.InitAsync(new Dictionary<string, string>()).WaitAsync(Timeout);
        var defaults = scanner.Rules;

        Assert.Equal(1000, first.MaxSizeBytes);
        Assert.True(first.RefusesExecutables);
        Assert.Same(first, afterRefused);
        Assert.Equal(0, defaults.MaxSizeBytes);
        Assert.Empty(defaults.RefusedMediaTypes);
    }

    private static Task<PluginTestServer> StartAsync() =>
        PluginTestServer.StartAsync(ContentScannerPlugin.Configure, new PluginTestServerOptions { Initialize = false }).WaitAsync(Timeout);
}
