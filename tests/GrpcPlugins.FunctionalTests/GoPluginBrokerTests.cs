using System.Diagnostics;
using System.Text.Json;
using Grpc.Core;
using GrpcPlugins.Auth.V1;
using GrpcPlugins.Hosting;
using GrpcPlugins.Hosting.Callbacks;
using GrpcPlugins.Hosting.Callbacks.Internal;
using GrpcPlugins.Plugin.V1;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.FunctionalTests;

/// <summary>
/// HashiCorp go-plugin's <c>plugin.GRPCBroker</c> both ways, with Debian's go-plugin 1.0.1 (tests/goplugin): a Go
/// plugin dials a service its GrpcPlugins host serves it on a broker id during a call (go-plugin's "bidirectional"
/// pattern) and the host callbacks through the broker; a go-plugin host serves a GrpcPlugins plugin a helper the same way.
/// </summary>
public sealed class GoPluginBrokerTests : IDisposable
{
    private readonly DirectoryInfo _state = Directory.CreateTempSubdirectory("grpcplugins-broker-");

    public void Dispose() => _state.Delete(recursive: true);

    [Fact]
    public async Task GoPlugin_CallCarriesBrokerId_PluginCallsBackTheServiceTheHostServesOnIt()
    {
        await using var plugin = await TestPlugins.StartAsync(await GoPrograms.PluginOptionsAsync(PluginType.Auth));
        var id = plugin.Broker.NextId();
        await using var helper = await plugin.Broker.AcceptAndServeAsync<HostHelperAuth>(id).WaitAsync(TestPlugins.Timeout);

        var login = await plugin.Auth.AuthenticateAsync(new AuthenticateRequest { Type = AuthType.Password, Username = "broker", Password = id.ToString(System.Globalization.CultureInfo.InvariantCulture) }).WaitAsync(TestPlugins.Timeout);

        // The Go plugin signed in at the host's helper as "go-plugin" and passed its token on.
        Assert.Equal("via-broker:host-helper-go-plugin", login.Token);
    }

    [Fact]
    public async Task GoPlugin_HostCallbacks_DialedThroughTheBrokerIdInItsEnvironment()
    {
        await using var server = new HostCallbackServer(Options.Create(new HostCallbacksOptions { DataDirectory = _state.FullName }), NullLoggerFactory.Instance);
        var options = await GoPrograms.PluginOptionsAsync(PluginType.Auth);
        options.HostCallbacks = [HostCallbackGrants.KeyValue];
        await using var plugin = await PluginClient.StartAsync(options, new GrpcPluginsOptions { LaunchHooks = { server } }).WaitAsync(TestPlugins.Timeout);

        var login = await plugin.Auth.AuthenticateAsync(new AuthenticateRequest { Type = AuthType.Password, Username = "callbacks", Password = "written-by-go" }).WaitAsync(TestPlugins.Timeout);
        var stored = await server.Store.GetAsync(options.Name, "go", CancellationToken.None).WaitAsync(TestPlugins.Timeout);

        // The Go plugin wrote the value through HostCallbacksService (with its launch token) and read it back.
        Assert.Equal("kv:written-by-go", login.Token);
        Assert.Equal("written-by-go"u8.ToArray(), stored);
    }

    [Fact]
    public async Task GoPlugin_DialOfAnIdThePluginNeverServes_TimeoutNamingTheId()
    {
        await using var plugin = await TestPlugins.StartAsync(await GoPrograms.PluginOptionsAsync(PluginType.Auth));

        var error = await Assert.ThrowsAsync<PluginException>(() => plugin.Broker.DialAsync(4242).WaitAsync(TestPlugins.Timeout));

        Assert.Equal(PluginErrorCode.Timeout, error.Code);
        Assert.Contains("broker id 4242", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Broker_OfAPluginNotInGoPluginMode_InvalidOperationSayingWhy()
    {
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("auth", PluginType.Auth));

        var error = Assert.Throws<InvalidOperationException>(() => plugin.Broker.NextId());

        Assert.Contains("go-plugin mode", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GoPluginHost_AcceptAndServesAHelper_SdkPluginDialsItThroughTheBroker()
    {
        var startInfo = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add("exec \"$0\" \"$@\" < /dev/null");
        startInfo.ArgumentList.Add(await GoPrograms.HostAsync());
        startInfo.ArgumentList.Add("-broker");
        startInfo.ArgumentList.Add("dotnet");
        startInfo.ArgumentList.Add(TestPlugins.Dll("tests", "GrpcPlugins.TestPlugin"));
        startInfo.ArgumentList.Add("goplugin-broker");
        using var host = Process.Start(startInfo)!;
        var stderr = host.StandardError.ReadToEndAsync();
        var stdout = await host.StandardOutput.ReadToEndAsync().WaitAsync(TestPlugins.Timeout);
        await host.WaitForExitAsync().WaitAsync(TestPlugins.Timeout);
        var log = await stderr.WaitAsync(TestPlugins.Timeout);

        Assert.True(host.ExitCode == 0, $"The go-plugin host failed: {stdout}{Environment.NewLine}{log}");
        using var result = JsonDocument.Parse(stdout);

        // The C# plugin dialed the Go host's helper on the id the host sent, signed in there as "csharp-plugin", and passed its token on.
        Assert.Equal("via-broker:go-host-helper-csharp-plugin", result.RootElement.GetProperty("broker").GetString());
    }

    /// <summary>The helper a host serves a plugin on a broker id: it signs anyone in, with a token naming them.</summary>
    internal sealed class HostHelperAuth : AuthService.AuthServiceBase
    {
        public override Task<AuthenticateResponse> Authenticate(AuthenticateRequest request, ServerCallContext context) =>
            Task.FromResult(new AuthenticateResponse { Result = new AuthResult { Token = "host-helper-" + request.Username, User = new User { Id = "h-1", Username = request.Username } } });
    }
}
