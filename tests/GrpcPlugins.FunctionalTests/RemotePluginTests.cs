using System.Diagnostics;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Storage.V1;
using GrpcPlugins.Test.Echo.V1;
using GrpcPlugins.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GrpcPlugins.FunctionalTests;

/// <summary>
/// A private CA, the service and host certificates it signed, and the test plugin (storage and echo) started on its own
/// as a remote service on loopback TCP with mutual TLS, shared by the tests that do not disturb it.
/// </summary>
public sealed class RemotePluginFixture : IAsyncLifetime
{
    internal TestCertificates Certificates { get; } = new();

    public (string Certificate, string Key, string Sha256) Server { get; private set; }

    public (string Certificate, string Key, string Sha256) Client { get; private set; }

    internal RemotePluginService Service { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Server = Certificates.IssueServer("plugin-service");
        Client = Certificates.IssueClient("host-a");
        Service = await StartServiceAsync(port: 0);
    }

    internal Task<RemotePluginService> StartServiceAsync(int port) =>
        RemotePluginService.StartAsync(TestPlugins.Dll("tests", "GrpcPlugins.TestPlugin"), ["storage-echo"], Certificates, Server, port, TestPlugins.Timeout);

    /// <summary>Options of a host that attaches to the service on <paramref name="port"/>, pinning its certificate.</summary>
    public PluginOptions Options(int port, string name = "remote-files") => new()
    {
        Name = name,
        Type = PluginType.Storage,
        Services = ["grpcplugins.test.echo.v1.EchoService"],
        Remote = new PluginRemoteOptions
        {
            Address = $"https://127.0.0.1:{port}",
            ServerCertificateSha256 = Server.Sha256,
            ClientCertificateFile = Client.Certificate,
            ClientKeyFile = Client.Key,
        },
        StartTimeout = TestPlugins.Timeout,
    };

    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        Certificates.Dispose();
    }
}

/// <summary>
/// Remote plugins (PluginOptions.Remote): a host attaches over TCP with pinned mutual TLS to a plugin that runs as its own
/// service, calls it in every shape as a local one, shares it with another host, refuses a wrong server or is refused
/// without a trusted client certificate, and follows the service down and back up by health without restarting.
/// </summary>
public sealed class RemotePluginTests(RemotePluginFixture remote) : IClassFixture<RemotePluginFixture>
{
    [Fact]
    public async Task Calls_RemotePluginOverPinnedMtls_EveryCallShapeStorageContextAndTraceArrive()
    {
        await using var plugin = await TestPlugins.StartAsync(remote.Options(remote.Service.Port));
        var echo = plugin.CreateClient<EchoService.EchoServiceClient>();
        var content = RandomNumberGenerator.GetBytes(1_000_003);
        var chunks = Enumerable.Range(0, 10).Select(i => RandomNumberGenerator.GetBytes(20_000 + i)).ToList();
        using var activity = new Activity("remote-call").SetIdFormat(ActivityIdFormat.W3C).Start();

        EchoResponse echoed;
        using (PluginContext.Begin(new PluginContext(TransferId: "t-remote", UserId: "u-remote", RequestId: "r-remote")))
        {
            echoed = await echo.EchoAsync(new EchoRequest { Text = "over tcp" }).ResponseAsync.WaitAsync(TestPlugins.Timeout);
        }

        CollectResponse collected;
        using (var collect = echo.Collect())
        {
            foreach (var chunk in chunks)
            {
                await collect.RequestStream.WriteAsync(new CollectRequest { Data = ByteString.CopyFrom(chunk) }).WaitAsync(TestPlugins.Timeout);
            }

            await collect.RequestStream.CompleteAsync().WaitAsync(TestPlugins.Timeout);
            collected = await collect.ResponseAsync.WaitAsync(TestPlugins.Timeout);
        }

        var expanded = 0;
        using (var expand = echo.Expand(new ExpandRequest { Count = 30, Size = 1000 }))
        {
            while (await expand.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestPlugins.Timeout))
            {
                Assert.Equal(expanded++, expand.ResponseStream.Current.Index);
            }
        }

        var stored = await plugin.Storage.StoreAsync(new ObjectMetadata { Name = "remote-object" }, new MemoryStream(content)).WaitAsync(TestPlugins.Timeout);
        await using var download = await plugin.Storage.RetrieveAsync(stored.Id).WaitAsync(TestPlugins.Timeout);
        using var back = new MemoryStream();
        await download.Content.CopyToAsync(back).WaitAsync(TestPlugins.Timeout);

        Assert.Equal("over tcp", echoed.Text);
        Assert.Equal(remote.Service.ProcessId, echoed.ProcessId);
        Assert.Equal(("t-remote", "u-remote", "r-remote"), (echoed.TransferId, echoed.UserId, echoed.RequestId));
        Assert.StartsWith($"00-{activity.TraceId}-", echoed.Traceparent);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(chunks.SelectMany(c => c).ToArray())), collected.Sha256);
        Assert.Equal(30, expanded);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), stored.Metadata.Sha256);
        Assert.Equal(content, back.ToArray());
        Assert.Empty(plugin.Metadata.DataChannel);
        Assert.Equal($"https://127.0.0.1:{remote.Service.Port}", plugin.RemoteAddress);
        Assert.Equal(PluginState.Running, plugin.State);
    }

    [Fact]
    public async Task Cancel_CallToRemotePlugin_ThePluginSeesTheCancellation()
    {
        await using var plugin = await TestPlugins.StartAsync(remote.Options(remote.Service.Port));
        var echo = plugin.CreateClient<EchoService.EchoServiceClient>();
        var before = (await echo.GetCancelledAsync(new GetCancelledRequest()).ResponseAsync.WaitAsync(TestPlugins.Timeout)).Count;
        using var cancel = new CancellationTokenSource();

        var slow = echo.EchoAsync(new EchoRequest { Behaviour = Behaviour.Slow }, cancellationToken: cancel.Token).ResponseAsync;
        await WaitUntilAsync(async () => (await echo.GetCancelledAsync(new GetCancelledRequest()).ResponseAsync).Waiting > 0);
        await cancel.CancelAsync();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => slow.WaitAsync(TestPlugins.Timeout));
        await WaitUntilAsync(async () => (await echo.GetCancelledAsync(new GetCancelledRequest()).ResponseAsync).Count > before);

        Assert.True(error is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled } or PluginException { Code: PluginErrorCode.Cancelled }, error.ToString());
    }

    [Fact]
    public async Task TwoHosts_ShareOneRemotePluginByConfiguration_BothCallTheSameProcess()
    {
        using var hostA = BuildHost(remote.Options(remote.Service.Port));
        using var hostB = BuildHost(remote.Options(remote.Service.Port));
        await hostA.StartAsync().WaitAsync(TestPlugins.Timeout);
        await hostB.StartAsync().WaitAsync(TestPlugins.Timeout);
        try
        {
            var a = hostA.Services.GetRequiredService<IPluginRegistry>().Get("remote-files")!;
            var b = hostB.Services.GetRequiredService<IPluginRegistry>().Get("remote-files")!;
            var content = RandomNumberGenerator.GetBytes(200_000);

            var stored = await a.Storage.StoreAsync(new ObjectMetadata { Name = "shared" }, new MemoryStream(content)).WaitAsync(TestPlugins.Timeout);
            await using var download = await b.Storage.RetrieveAsync(stored.Id).WaitAsync(TestPlugins.Timeout);
            using var back = new MemoryStream();
            await download.Content.CopyToAsync(back).WaitAsync(TestPlugins.Timeout);
            var fromA = await a.CreateClient<EchoService.EchoServiceClient>().EchoAsync(new EchoRequest()).ResponseAsync.WaitAsync(TestPlugins.Timeout);
            var fromB = await b.CreateClient<EchoService.EchoServiceClient>().EchoAsync(new EchoRequest()).ResponseAsync.WaitAsync(TestPlugins.Timeout);

            Assert.Equal(content, back.ToArray());
            Assert.Equal(remote.Service.ProcessId, fromA.ProcessId);
            Assert.Equal(remote.Service.ProcessId, fromB.ProcessId);
            Assert.Null(hostA.Services.GetRequiredService<IPluginRegistry>().GetStatus("remote-files")!.ProcessId);
        }
        finally
        {
            await hostA.StopAsync().WaitAsync(TestPlugins.Timeout);
            await hostB.StopAsync().WaitAsync(TestPlugins.Timeout);
        }

        // Neither host shut the shared service down when it stopped.
        await using var after = await TestPlugins.StartAsync(remote.Options(remote.Service.Port));
        Assert.Equal(PluginState.Running, after.State);
    }

    [Fact]
    public async Task Start_ServerCertificateOtherThanThePin_RefusedNamingThePinSetting()
    {
        using var other = new TestCertificates("another-ca");
        var options = remote.Options(remote.Service.Port);
        options.Remote!.ServerCertificateSha256 = other.IssueServer("impostor").Sha256;

        var error = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(options));

        Assert.Equal(PluginErrorCode.FailedPrecondition, error.Code);
        Assert.Contains("Remote.ServerCertificateSha256", error.Message);
        Assert.Contains(remote.Server.Sha256[..2] + ":" + remote.Server.Sha256[2..4], error.Message);
    }

    [Fact]
    public async Task Start_ServerSignedByTheConfiguredCa_AcceptedWithoutAPin()
    {
        var options = remote.Options(remote.Service.Port);
        options.Remote!.ServerCertificateSha256 = null;
        options.Remote.CertificateAuthorityFile = remote.Certificates.AuthorityFile;

        await using var plugin = await TestPlugins.StartAsync(options);

        Assert.Equal(PluginState.Running, plugin.State);
    }

    [Fact]
    public async Task Start_ServerNotSignedByTheConfiguredCa_RefusedNamingTheCaSetting()
    {
        using var other = new TestCertificates("another-ca");
        var options = remote.Options(remote.Service.Port);
        options.Remote!.ServerCertificateSha256 = null;
        options.Remote.CertificateAuthorityFile = other.AuthorityFile;

        var error = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(options));

        Assert.Equal(PluginErrorCode.FailedPrecondition, error.Code);
        Assert.Contains("Remote.CertificateAuthorityFile", error.Message);
    }

    [Fact]
    public async Task Start_ClientCertificateFromAnotherCa_RefusedByTheServiceNamingTheClientSetting()
    {
        using var other = new TestCertificates("another-ca");
        var stranger = other.IssueClient("stranger");
        var options = remote.Options(remote.Service.Port);
        options.Remote!.ClientCertificateFile = stranger.Certificate;
        options.Remote.ClientKeyFile = stranger.Key;

        var error = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(options));
        await WaitUntilAsync(() => Task.FromResult(remote.Service.Stderr.Contains("CN=stranger", StringComparison.Ordinal)));

        Assert.True(error.Code == PluginErrorCode.PermissionDenied, error.Message);
        Assert.Contains("Remote.ClientCertificateFile", error.Message);
        Assert.Contains("GRPCPLUGINS_TLS_CLIENT_CA", remote.Service.Stderr);
    }

    [Fact]
    public async Task Call_ClientWithoutCertificate_TheServiceRefusesTheConnection()
    {
        // Not a host (a host never dials without one): a plain gRPC client that trusts the service but presents nothing.
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress($"https://127.0.0.1:{remote.Service.Port}", new() { HttpHandler = handler });
        var health = new Grpc.Health.V1.Health.HealthClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(() => health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest()).ResponseAsync.WaitAsync(TestPlugins.Timeout));

        // Refused in TLS: Unavailable when the handshake fails, Internal when TLS 1.3 resets the connection after it.
        Assert.True(error.StatusCode is StatusCode.Unavailable or StatusCode.Internal, error.ToString());
    }

    [Fact]
    public async Task Supervision_RemoteServiceKilledThenStartedAgain_CallsFailTypedThenTheSameClientIsBackByHealth()
    {
        await using var first = await remote.StartServiceAsync(port: 0);
        var port = first.Port;
        var options = remote.Options(port, "remote-restarts");
        options.HealthCheckInterval = TimeSpan.FromMilliseconds(200);
        options.HealthCheckTimeout = TimeSpan.FromSeconds(2);
        options.UnhealthyThreshold = 2;
        options.MaxRestartDelay = TimeSpan.FromSeconds(1);
        await using var plugin = await TestPlugins.StartAsync(options);
        var echo = plugin.CreateClient<EchoService.EchoServiceClient>();
        Assert.Equal(first.ProcessId, (await echo.EchoAsync(new EchoRequest()).ResponseAsync.WaitAsync(TestPlugins.Timeout)).ProcessId);

        await first.KillAsync(TestPlugins.Timeout);
        var down = await Assert.ThrowsAsync<PluginException>(() => echo.EchoAsync(new EchoRequest()).ResponseAsync.WaitAsync(TestPlugins.Timeout));
        await WaitUntilAsync(() => Task.FromResult(plugin.State != PluginState.Running));
        var whileDown = await Assert.ThrowsAsync<PluginException>(() => echo.EchoAsync(new EchoRequest()).ResponseAsync.WaitAsync(TestPlugins.Timeout));

        await using var second = await remote.StartServiceAsync(port);
        await WaitUntilAsync(() => Task.FromResult(plugin.State == PluginState.Running));
        var again = await echo.EchoAsync(new EchoRequest { Text = "back" }).ResponseAsync.WaitAsync(TestPlugins.Timeout);

        Assert.Equal(PluginErrorCode.Unavailable, down.Code);
        Assert.Contains($"127.0.0.1:{port}", down.Message);
        Assert.Equal(PluginErrorCode.Unavailable, whileDown.Code);
        Assert.Equal("back", again.Text);
        Assert.Equal(second.ProcessId, again.ProcessId);
        Assert.True(plugin.RestartCount >= 1);
    }

    private static IHost BuildHost(PluginOptions options)
    {
        var builder = Host.CreateApplicationBuilder();
        var prefix = $"Plugins:{options.Name}:";
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [prefix + "Type"] = options.Type.ToString(),
            [prefix + "Services:0"] = options.Services[0],
            [prefix + "Remote:Address"] = options.Remote!.Address,
            [prefix + "Remote:ServerCertificateSha256"] = options.Remote.ServerCertificateSha256,
            [prefix + "Remote:ClientCertificateFile"] = options.Remote.ClientCertificateFile,
            [prefix + "Remote:ClientKeyFile"] = options.Remote.ClientKeyFile,
        });
        builder.Services.AddGrpcPlugins(builder.Configuration);
        return builder.Build();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var deadline = new CancellationTokenSource(TestPlugins.Timeout);
        while (!await condition())
        {
            await Task.Delay(50, deadline.Token);
        }
    }
}
