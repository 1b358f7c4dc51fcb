using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using GrpcPlugins.HostCallbacks.V1;
using GrpcPlugins.Hosting;
using GrpcPlugins.Hosting.Callbacks;
using GrpcPlugins.Hosting.Callbacks.Internal;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Test.Probe.V1;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.FunctionalTests;

/// <summary>
/// Host callbacks under AutoMTLS: the launch is told a TLS socket and the callbacks server's certificate, the plugin's
/// connection presents its own AutoMTLS certificate, and any other certificate is refused at TLS, before any call.
/// </summary>
public sealed class HostCallbacksTlsTests : IDisposable
{
    private const string ProbeServiceName = "grpcplugins.test.probe.v1.CallbackProbeService";

    private readonly DirectoryInfo _state = Directory.CreateTempSubdirectory("grpcplugins-callbacks-tls-");

    public void Dispose() => _state.Delete(recursive: true);

    [Fact]
    public async Task AutoMtlsProbe_KeyValueRoundTripAndReadFile_OverTheTlsSocket()
    {
        var content = RandomNumberGenerator.GetBytes((2 * 1024 * 1024) + 5);
        var value = RandomNumberGenerator.GetBytes(4096);
        await using var server = Server(new MemoryFileSource("f1", "tls.bin", content));
        var options = TestPlugins.TestPlugin("callbacks", PluginType.Custom, "probe");
        options.AutoMtls = true;
        options.HostCallbacks = [HostCallbackGrants.KeyValue, HostCallbackGrants.FilesRead];
        options.Services = [ProbeServiceName];
        await using var plugin = await PluginClient.StartAsync(options, new GrpcPluginsOptions { LaunchHooks = { server } }).WaitAsync(TestPlugins.Timeout);
        var probe = plugin.CreateClient<CallbackProbeService.CallbackProbeServiceClient>();

        var address = await ProbeAsync(probe, "env", PluginProtocol.HostCallbacksAddressVariable);
        var certificate = await ProbeAsync(probe, "env", PluginProtocol.HostCallbacksCertVariable);
        var put = await ProbeAsync(probe, "put", "transfer/1", value);
        var get = await ProbeAsync(probe, "get", "transfer/1");
        var read = await ProbeAsync(probe, "read", "f1");

        Assert.Equal(server.TlsSocketPath, address.Value.ToStringUtf8());
        Assert.True(PluginCertificates.TryReadPem(certificate.Value.ToStringUtf8(), out var announced, out _));
        announced!.Dispose();
        Assert.Equal(string.Empty, put.Code);
        Assert.Equal(string.Empty, get.Code);
        Assert.True(get.Found);
        Assert.Equal(value, get.Value.ToByteArray());
        Assert.Equal(string.Empty, read.Code);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), read.Sha256);
        Assert.Equal("tls.bin", read.Name);
    }

    [Fact]
    public async Task TlsSocket_NoOrSelfMadeClientCertificate_RefusedAtTlsEvenWithTheLaunchToken()
    {
        // An intruder that read the launch's whole environment (socket, token, host certificate) but not the plugin's
        // private key: only the plugin's own certificate gets a call through.
        await using var server = Server();
        using var pluginCertificate = PluginCertificates.Create("grpcplugins-plugin");
        using var selfMade = PluginCertificates.Create("grpcplugins-plugin");
        var (launch, environment) = Launch(server, pluginCertificate);
        using (launch)
        {
            var token = new Metadata { { PluginProtocol.HostCallbacksTokenHeader, environment[PluginProtocol.HostCallbacksTokenVariable]! } };
            using var plugin = TlsChannel(environment, pluginCertificate);
            using var noCertificate = TlsChannel(environment, clientCertificate: null);
            using var intruder = TlsChannel(environment, selfMade);
            using var plaintext = UnixChannel(server.SocketPath!);

            var withNone = await Assert.ThrowsAsync<RpcException>(() => PutAsync(noCertificate, token, "from-none"));
            var withSelfMade = await Assert.ThrowsAsync<RpcException>(() => PutAsync(intruder, token, "from-intruder"));
            var overPlaintext = await Assert.ThrowsAsync<RpcException>(() => PutAsync(plaintext, token, "from-plaintext"));
            await PutAsync(plugin, token, "from-plugin");
            var list = await new HostCallbacksService.HostCallbacksServiceClient(plugin)
                .ListValuesAsync(new ListValuesRequest { Prefix = "from-" }, token).ResponseAsync.WaitAsync(TestPlugins.Timeout);

            AssertRefusedAtTls(withNone);
            AssertRefusedAtTls(withSelfMade);

            // The launch's token alone, on the plaintext socket, is not enough either.
            Assert.Equal(StatusCode.Unauthenticated, overPlaintext.StatusCode);
            Assert.Contains(PluginProtocol.HostCallbacksCertVariable, overPlaintext.Status.Detail, StringComparison.Ordinal);

            // Only the plugin's own connection wrote.
            Assert.Equal(["from-plugin"], list.Entries.Select(e => e.Key));
        }
    }

    [Fact]
    public async Task TlsSocket_RevokedLaunch_ItsCertificateIsRefused()
    {
        await using var server = Server();
        using var pluginCertificate = PluginCertificates.Create("grpcplugins-plugin");
        var (launch, environment) = Launch(server, pluginCertificate);
        var token = new Metadata { { PluginProtocol.HostCallbacksTokenHeader, environment[PluginProtocol.HostCallbacksTokenVariable]! } };
        launch.Dispose();
        using var channel = TlsChannel(environment, pluginCertificate);

        var refused = await Assert.ThrowsAsync<RpcException>(() => PutAsync(channel, token, "after-exit"));

        AssertRefusedAtTls(refused);
    }

    private HostCallbackServer Server(IHostFileSource? files = null) =>
        new(Options.Create(new HostCallbacksOptions { DataDirectory = _state.FullName }), NullLoggerFactory.Instance, files);

    // A launch as the Hosting library makes it under AutoMTLS: its client certificate in the environment before the
    // hooks run, then the plugin's certificate from the handshake.
    private static (IDisposable Launch, Dictionary<string, string?> Environment) Launch(HostCallbackServer server, X509Certificate2 pluginCertificate)
    {
        using var hostCertificate = PluginCertificates.Create("grpcplugins-host");
        var environment = new Dictionary<string, string?> { [PluginProtocol.ClientCertVariable] = PluginCertificates.ToPem(hostCertificate) };
        var options = TestPlugins.TestPlugin("callbacks", PluginType.Custom, "probe");
        options.HostCallbacks = [HostCallbackGrants.KeyValue];
        var launch = server.OnLaunch(options, environment);
        using var fromHandshake = X509CertificateLoader.LoadCertificate(pluginCertificate.RawData);
        ((IPluginHandshakeObserver)launch).OnHandshake(fromHandshake);
        return (launch, environment);
    }

    private static Task PutAsync(GrpcChannel channel, Metadata token, string key) =>
        new HostCallbacksService.HostCallbacksServiceClient(channel)
            .PutValueAsync(new PutValueRequest { Key = key, Value = ByteString.CopyFromUtf8("v") }, token).ResponseAsync.WaitAsync(TestPlugins.Timeout);

    // Refused at TLS: the call never reached the service, so the client sees no status the host sent but a connection
    // that failed under it (Unavailable or Internal, depending on whether TLS 1.3's late alert meets the request's write
    // or its read), caused by the failed TLS session.
    private static void AssertRefusedAtTls(RpcException refused)
    {
        Assert.True(refused.StatusCode is StatusCode.Unavailable or StatusCode.Internal, refused.ToString());
        Assert.True(refused.Trailers.Count == 0, refused.ToString());
        Assert.True(refused.InnerException is HttpRequestException, refused.ToString());
    }

    private static Task<ProbeResponse> ProbeAsync(CallbackProbeService.CallbackProbeServiceClient probe, string action, string key, byte[]? value = null) =>
        probe.ProbeAsync(new ProbeRequest { Action = action, Key = key, Value = ByteString.CopyFrom(value ?? []) }).ResponseAsync.WaitAsync(TestPlugins.Timeout);

    // Dials the TLS socket as a plugin does: pins the announced host certificate and presents the given one, if any.
    private static GrpcChannel TlsChannel(Dictionary<string, string?> environment, X509Certificate2? clientCertificate)
    {
        Assert.True(PluginCertificates.TryReadPem(environment[PluginProtocol.HostCallbacksCertVariable], out var hostCertificate, out var error), error);
        var path = environment[PluginProtocol.HostCallbacksAddressVariable]!;
        return GrpcChannel.ForAddress("https://localhost", new GrpcChannelOptions
        {
            DisposeHttpClient = true,
            HttpHandler = new SocketsHttpHandler
            {
                ConnectCallback = (_, ct) => ConnectAsync(path, ct),
                SslOptions = new System.Net.Security.SslClientAuthenticationOptions
                {
                    TargetHost = "localhost",
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    LocalCertificateSelectionCallback = clientCertificate is null ? null : (_, _, _, _, _) => clientCertificate,
                    ClientCertificates = clientCertificate is null ? null : [clientCertificate],
                    RemoteCertificateValidationCallback = (_, presented, _, _) => PluginCertificates.Matches(presented, hostCertificate!),
                },
            },
        });
    }

    private static GrpcChannel UnixChannel(string path) => GrpcChannel.ForAddress("http://host", new GrpcChannelOptions
    {
        DisposeHttpClient = true,
        HttpHandler = new SocketsHttpHandler { ConnectCallback = (_, ct) => ConnectAsync(path, ct) },
    });

    private static async ValueTask<Stream> ConnectAsync(string path, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private sealed class MemoryFileSource(string id, string name, byte[] content) : IHostFileSource
    {
        public Task<HostFile?> OpenAsync(string pluginName, string fileId, string? userId, long offset, CancellationToken cancellationToken) =>
            Task.FromResult(fileId == id
                ? new HostFile(new FileMetadata { FileId = id, Name = name, Size = content.Length }, new MemoryStream(content, (int)offset, content.Length - (int)offset))
                : null);
    }
}
