using GrpcPlugins.Sdk.Internal;

namespace GrpcPlugins.Sdk.Tests;

public sealed class PluginEnvironmentTests
{
    private static readonly string[] V1 = ["v1"];

    [Fact]
    public void Read_NoCookie_RefusesWithPlainMessage()
    {
        var env = PluginEnvironment.Read(_ => null, V1, out var error);

        Assert.Null(env);
        Assert.StartsWith("This is a plugin, started by a host", error);
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("1,2", 1)]
    [InlineData(" 2 , 1 ", 1)]
    [InlineData(null, 1)]
    public void Read_HostVersions_ChoosesHighestShared(string? hostVersions, int expected)
    {
        var env = PluginEnvironment.Read(Vars((PluginProtocol.ProtocolVersionsVariable, hostVersions)), V1, out var error);

        Assert.Equal(expected, env?.AppVersion);
        Assert.Equal(string.Empty, error);
    }

    [Fact]
    public void Read_PluginNewerThanHost_SaysUpgradeHost()
    {
        var env = PluginEnvironment.Read(Vars((PluginProtocol.ProtocolVersionsVariable, "1")), ["v2", "v3"], out var error);

        Assert.Null(env);
        Assert.Equal("This plugin speaks API versions v2, v3, but the host speaks only v1. Upgrade the host, or use an older build of this plugin.", error);
    }

    [Fact]
    public void Read_PluginOlderThanHost_SaysUpgradePlugin()
    {
        var env = PluginEnvironment.Read(Vars((PluginProtocol.ProtocolVersionsVariable, "3,4")), V1, out var error);

        Assert.Null(env);
        Assert.Contains("Upgrade the plugin to a version built for v3, v4", error);
    }

    [Fact]
    public void Read_Defaults_UnixSocketInTempAndStdinNotWatched()
    {
        var env = PluginEnvironment.Read(Vars(), V1, out _)!;

        Assert.True(env.UseUnixSocket);
        Assert.Equal(Path.GetTempPath(), env.SocketBaseDir);
        Assert.False(env.WatchStdin);
        Assert.True(env.InitRequired);
        Assert.Equal(0, env.MinPort);
    }

    [Fact]
    public void Read_TcpWithPortRange_UsesIt()
    {
        var env = PluginEnvironment.Read(Vars(
            (PluginProtocol.TransportVariable, "tcp"),
            (PluginProtocol.MinPortVariable, "20000"),
            (PluginProtocol.MaxPortVariable, "20010"),
            (PluginProtocol.UnixSocketDirVariable, "/run/x"),
            (PluginProtocol.StdinWatchVariable, "0")), V1, out _)!;

        Assert.False(env.UseUnixSocket);
        Assert.Equal((20000, 20010), (env.MinPort, env.MaxPort));
        Assert.Equal("/run/x", env.SocketBaseDir);
        Assert.False(env.WatchStdin);
    }

    [Fact]
    public void Read_InvertedPortRange_Refuses()
    {
        var env = PluginEnvironment.Read(Vars((PluginProtocol.MinPortVariable, "300"), (PluginProtocol.MaxPortVariable, "200")), V1, out var error);

        Assert.Null(env);
        Assert.Contains("PLUGIN_MIN_PORT (300) is above PLUGIN_MAX_PORT (200)", error);
    }

    [Fact]
    public void Read_ClientCertificate_IsTheHostsCertificate()
    {
        using var host = PluginCertificates.Create("host");

        var env = PluginEnvironment.Read(Vars((PluginProtocol.ClientCertVariable, PluginCertificates.ToPem(host))), V1, out var error);

        Assert.Equal(string.Empty, error);
        Assert.Equal(host.RawData, env?.ClientCertificate?.RawData);
    }

    [Fact]
    public void Read_NoClientCertificate_ServesPlaintext()
    {
        var env = PluginEnvironment.Read(Vars(), V1, out _);

        Assert.NotNull(env);
        Assert.Null(env.ClientCertificate);
    }

    [Fact]
    public void Read_HostAsksForStdinWatch_WatchesStdin()
    {
        var env = PluginEnvironment.Read(Vars((PluginProtocol.StdinWatchVariable, "1")), V1, out _)!;

        Assert.True(env.WatchStdin);
    }

    [Fact]
    public void Read_GoPluginCookieTheBuilderAccepts_ServesWithoutRequiringInit()
    {
        var vars = new Dictionary<string, string?> { ["APP_PLUGIN_COOKIE"] = "app-value", [PluginProtocol.ProtocolVersionsVariable] = "1" };

        var env = PluginEnvironment.Read(vars.GetValueOrDefault, V1, [new("APP_PLUGIN_COOKIE", "app-value")], out var error);

        Assert.NotNull(env);
        Assert.Equal(string.Empty, error);
        Assert.False(env.InitRequired);
        Assert.False(env.WatchStdin);
        Assert.Equal(1, env.AppVersion);
    }

    [Fact]
    public void Read_GoPluginCookieWithAnotherValue_RefusesNamingTheCookieToSet()
    {
        var vars = new Dictionary<string, string?> { ["APP_PLUGIN_COOKIE"] = "other-app" };

        var env = PluginEnvironment.Read(vars.GetValueOrDefault, V1, [new("APP_PLUGIN_COOKIE", "app-value")], out var error);

        Assert.Null(env);
        Assert.StartsWith("This is a plugin, started by a host", error);
        Assert.Contains("APP_PLUGIN_COOKIE", error);
        Assert.Contains("AcceptCookie", error);
    }

    [Fact]
    public void Read_MalformedClientCertificate_RefusesRatherThanServePlaintext()
    {
        var env = PluginEnvironment.Read(Vars((PluginProtocol.ClientCertVariable, "-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----")), V1, out var error);

        Assert.Null(env);
        Assert.StartsWith($"The host's {PluginProtocol.ClientCertVariable} is unusable", error);
    }

    private static Func<string, string?> Vars(params (string Key, string? Value)[] values)
    {
        var all = values.ToDictionary(v => v.Key, v => v.Value);
        all[PluginProtocol.MagicCookieKey] = PluginProtocol.MagicCookieValue;
        return key => all.GetValueOrDefault(key);
    }
}
