using System.Net.Sockets;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using GrpcPlugins.HostCallbacks.V1;
using GrpcPlugins.Hosting;
using GrpcPlugins.Hosting.Callbacks;
using GrpcPlugins.Hosting.Callbacks.Internal;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Test.Probe.V1;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.FunctionalTests;

/// <summary>
/// Host callbacks made by a real plugin process (the test plugin's "callbacks" mode) to a real callbacks server on its
/// Unix socket: grants, tokens, streamed file reads, and key-value state that outlives the process.
/// </summary>
public sealed class HostCallbacksTests : IDisposable
{
    private const string ProbeServiceName = "grpcplugins.test.probe.v1.CallbackProbeService";

    private readonly DirectoryInfo _state = Directory.CreateTempSubdirectory("grpcplugins-callbacks-");

    public void Dispose() => _state.Delete(recursive: true);

    [Fact]
    public async Task Probe_CallOutsideGrant_PermissionDeniedNamingTheGrant()
    {
        await using var server = Server();
        await using var plugin = await StartProbeAsync(server, HostCallbackGrants.Log);
        var probe = plugin.CreateClient<CallbackProbeService.CallbackProbeServiceClient>();

        var put = await ProbeAsync(probe, "put", "k", "v");
        var read = await ProbeAsync(probe, "read", "some-file");
        var log = await ProbeAsync(probe, "log", "k", "hello from the plugin");

        Assert.Equal(nameof(PluginErrorCode.PermissionDenied), put.Code);
        Assert.Contains("\"kv\"", put.Message, StringComparison.Ordinal);
        Assert.Contains("Plugins:probe:HostCallbacks", put.Message, StringComparison.Ordinal);
        Assert.Equal(nameof(PluginErrorCode.PermissionDenied), read.Code);
        Assert.Contains("\"files.read\"", read.Message, StringComparison.Ordinal);
        Assert.Equal(string.Empty, log.Code);
    }

    [Fact]
    public async Task HostCallbacks_WrongOrMissingToken_Unauthenticated()
    {
        await using var server = Server();
        await using var plugin = await StartProbeAsync(server, HostCallbackGrants.KeyValue);
        using var channel = UnixChannel(server.SocketPath!);
        var client = new HostCallbacksService.HostCallbacksServiceClient(channel);

        var wrong = await Assert.ThrowsAsync<RpcException>(() => client.GetValueAsync(
            new GetValueRequest { Key = "k" }, new Metadata { { PluginProtocol.HostCallbacksTokenHeader, "0123456789abcdef" } }).ResponseAsync.WaitAsync(TestPlugins.Timeout));
        var missing = await Assert.ThrowsAsync<RpcException>(() => client.GetValueAsync(new GetValueRequest { Key = "k" }).ResponseAsync.WaitAsync(TestPlugins.Timeout));

        Assert.Equal(StatusCode.Unauthenticated, wrong.StatusCode);
        Assert.Equal(PluginErrorCode.Unauthenticated, PluginErrors.FromRpcException(wrong).Code);
        Assert.Equal(StatusCode.Unauthenticated, missing.StatusCode);
    }

    [Fact]
    public async Task Probe_ReadFile_StreamsContentWithSameSha256()
    {
        var content = RandomNumberGenerator.GetBytes((3 * 1024 * 1024) + 17);
        await using var server = Server(new MemoryFileSource("f1", "big.bin", content));
        await using var plugin = await StartProbeAsync(server, HostCallbackGrants.FilesRead);
        var probe = plugin.CreateClient<CallbackProbeService.CallbackProbeServiceClient>();

        var read = await ProbeAsync(probe, "read", "f1");
        var missing = await ProbeAsync(probe, "read", "no-such-file");

        Assert.Equal(string.Empty, read.Code);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), read.Sha256);
        Assert.Equal(content.Length, read.Size);
        Assert.Equal("big.bin", read.Name);
        Assert.Equal(nameof(PluginErrorCode.NotFound), missing.Code);
    }

    [Fact]
    public async Task Probe_KeyValue_SurvivesKillRestartAndIsPerPlugin()
    {
        await using var server = Server();
        await using var plugin = await StartProbeAsync(server, HostCallbackGrants.KeyValue);
        await using var other = await StartProbeAsync(server, HostCallbackGrants.KeyValue, name: "other");
        var probe = plugin.CreateClient<CallbackProbeService.CallbackProbeServiceClient>();
        var value = RandomNumberGenerator.GetBytes(64 * 1024);
        Assert.Equal(string.Empty, (await ProbeAsync(probe, "put", "transfer/1", value)).Code);
        Assert.Equal(string.Empty, (await ProbeAsync(probe, "put", "transfer/2", "b")).Code);
        Assert.Equal(string.Empty, (await ProbeAsync(probe, "put", "other/3", "c")).Code);
        var firstProcess = plugin.ProcessId;

        await TestPlugins.KillAsync(plugin);
        var afterRestart = await RetryAsync(() => ProbeAsync(probe, "get", "transfer/1"));
        var listed = await ProbeAsync(probe, "list", "transfer/");
        var deleted = await ProbeAsync(probe, "delete", "transfer/2");
        var afterDelete = await ProbeAsync(probe, "list", "transfer/");
        var tooBig = await ProbeAsync(probe, "put", "big", RandomNumberGenerator.GetBytes((64 * 1024) + 1));
        var otherSees = await ProbeAsync(other.CreateClient<CallbackProbeService.CallbackProbeServiceClient>(), "get", "transfer/1");

        Assert.NotEqual(firstProcess, plugin.ProcessId);
        Assert.True(afterRestart.Found);
        Assert.Equal(value, afterRestart.Value.ToByteArray());
        Assert.Equal("transfer/1,transfer/2", listed.Value.ToStringUtf8());
        Assert.True(deleted.Found);
        Assert.Equal("transfer/1", afterDelete.Value.ToStringUtf8());
        Assert.Equal(nameof(PluginErrorCode.InvalidArgument), tooBig.Code);
        Assert.False(otherSees.Found);
    }

    [Fact]
    public async Task Probe_KeyValue_SurvivesReplaceAsyncAndHostRestart()
    {
        var value = RandomNumberGenerator.GetBytes(1000);
        using (var app = BuildHost())
        {
            await app.StartAsync().WaitAsync(TestPlugins.Timeout);
            var registry = app.Services.GetRequiredService<IPluginRegistry>();
            var first = registry.Get("probe")!;
            Assert.Equal(string.Empty, (await ProbeAsync(first.CreateClient<CallbackProbeService.CallbackProbeServiceClient>(), "put", "state", value)).Code);

            var replacement = await registry.ReplaceAsync(ProbeOptions(HostCallbackGrants.KeyValue)).WaitAsync(TestPlugins.Timeout);
            var afterReplace = await ProbeAsync(replacement.CreateClient<CallbackProbeService.CallbackProbeServiceClient>(), "get", "state");

            Assert.NotEqual(first.ProcessId, replacement.ProcessId);
            Assert.True(afterReplace.Found);
            Assert.Equal(value, afterReplace.Value.ToByteArray());
            await app.StopAsync().WaitAsync(TestPlugins.Timeout);
        }

        using (var app = BuildHost())
        {
            await app.StartAsync().WaitAsync(TestPlugins.Timeout);
            var probe = app.Services.GetRequiredService<IPluginRegistry>().Get("probe")!.CreateClient<CallbackProbeService.CallbackProbeServiceClient>();
            var afterHostRestart = await ProbeAsync(probe, "get", "state");
            await app.StopAsync().WaitAsync(TestPlugins.Timeout);

            Assert.Equal(value, afterHostRestart.Value.ToByteArray());
        }
    }

    [Fact]
    public async Task Host_FileSourceThatUsesThePlugins_StartsAndStreamsTheFile()
    {
        // A real host's file source reads through its storage plugin, so it depends on the plugin registry, whose
        // options hold the callbacks server as a launch hook. Resolving the file source with the server was a cycle
        // the container recursed through on fresh threads: the host never started and said nothing.
        var content = RandomNumberGenerator.GetBytes((1024 * 1024) + 3);
        using var app = BuildHost(HostCallbackGrants.FilesRead, services => services.AddSingleton<IHostFileSource>(
            sp => new RegistryFileSource(sp.GetRequiredService<IPluginRegistry>(), new MemoryFileSource("f1", "through-plugins.bin", content))));

        await Task.Run(() => app.StartAsync()).WaitAsync(TestPlugins.Timeout);
        var probe = app.Services.GetRequiredService<IPluginRegistry>().Get("probe")!.CreateClient<CallbackProbeService.CallbackProbeServiceClient>();
        var read = await ProbeAsync(probe, "read", "f1");
        await app.StopAsync().WaitAsync(TestPlugins.Timeout);

        Assert.Equal(string.Empty, read.Code);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), read.Sha256);
        Assert.Equal("through-plugins.bin", read.Name);
    }

    private IHost BuildHost(string grant = HostCallbackGrants.KeyValue, Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Plugins:probe:Type"] = "Custom",
            ["Plugins:probe:Command"] = TestPlugins.Dll("tests", "GrpcPlugins.TestPlugin"),
            ["Plugins:probe:Args:0"] = "callbacks",
            ["Plugins:probe:HostCallbacks:0"] = grant,
            ["Plugins:probe:Services:0"] = ProbeServiceName,
            ["GrpcPlugins:HostCallbacks:DataDirectory"] = _state.FullName,
        });
        builder.Services.AddGrpcPlugins(builder.Configuration);
        services?.Invoke(builder.Services);
        builder.Services.AddGrpcPluginsHostCallbacks(builder.Configuration);
        return builder.Build();
    }

    private HostCallbackServer Server(IHostFileSource? files = null) =>
        new(Options.Create(new HostCallbacksOptions { DataDirectory = _state.FullName }), NullLoggerFactory.Instance, files);

    private static PluginOptions ProbeOptions(string grant, string name = "probe")
    {
        var options = TestPlugins.TestPlugin("callbacks", PluginType.Custom, name);
        options.HostCallbacks = [grant];
        options.Services = [ProbeServiceName];
        return options;
    }

    private static Task<PluginClient> StartProbeAsync(HostCallbackServer server, string grant, string name = "probe") =>
        PluginClient.StartAsync(ProbeOptions(grant, name), new GrpcPluginsOptions { LaunchHooks = { server } }).WaitAsync(TestPlugins.Timeout);

    private static Task<ProbeResponse> ProbeAsync(CallbackProbeService.CallbackProbeServiceClient probe, string action, string key, string value = "") =>
        ProbeAsync(probe, action, key, System.Text.Encoding.UTF8.GetBytes(value));

    private static Task<ProbeResponse> ProbeAsync(CallbackProbeService.CallbackProbeServiceClient probe, string action, string key, byte[] value) =>
        probe.ProbeAsync(new ProbeRequest { Action = action, Key = key, Value = ByteString.CopyFrom(value) }).ResponseAsync.WaitAsync(TestPlugins.Timeout);

    // After a kill the client restarts the plugin; calls in between may fail until the new process serves.
    private static async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        using var deadline = new CancellationTokenSource(TestPlugins.Timeout);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (PluginException) when (!deadline.IsCancellationRequested)
            {
                await Task.Delay(100);
            }
        }
    }

    private static GrpcChannel UnixChannel(string path) => GrpcChannel.ForAddress("http://host", new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        },
    });

    private sealed class MemoryFileSource(string id, string name, byte[] content) : IHostFileSource
    {
        public Task<HostFile?> OpenAsync(string pluginName, string fileId, string? userId, long offset, CancellationToken cancellationToken) =>
            Task.FromResult(fileId == id
                ? new HostFile(new FileMetadata { FileId = id, Name = name, Size = content.Length }, new MemoryStream(content, (int)offset, content.Length - (int)offset))
                : null);
    }

    // Like a host's storage-backed file source: built from the plugin registry (here it only checks the plugin serving
    // the file runs; the content comes from memory).
    private sealed class RegistryFileSource(IPluginRegistry registry, IHostFileSource inner) : IHostFileSource
    {
        public Task<HostFile?> OpenAsync(string pluginName, string fileId, string? userId, long offset, CancellationToken cancellationToken)
        {
            _ = registry.Get(pluginName);
            return inner.OpenAsync(pluginName, fileId, userId, offset, cancellationToken);
        }
    }
}
