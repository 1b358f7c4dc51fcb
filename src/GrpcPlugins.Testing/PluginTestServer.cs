using System.Diagnostics.CodeAnalysis;
using Grpc.Core;
using Grpc.Net.Client;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Sdk;
using GrpcPlugins.Testing.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace GrpcPlugins.Testing;

/// <summary>
/// Runs a plugin's services inside the test process, served through real gRPC on a private Unix socket by the very
/// pipeline <see cref="PluginServer.RunAsync"/> builds: the SDK's interceptors map a thrown <see cref="PluginException"/>
/// to a <c>PluginError</c> detail, the call context and cancellation reach the service as a host sends them, and Init,
/// Shutdown, metadata and health are served. Start one per test and dispose it:
/// <code>
/// await using var plugin = await PluginTestServer.StartAsync(p =&gt; p.AddStorage&lt;MyStorage&gt;());
/// var client = plugin.CreateClient&lt;StorageService.StorageServiceClient&gt;();
/// </code>
/// </summary>
public sealed class PluginTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IDisposable _socketFolder;
    private readonly TimeSpan _timeout;
    private int _disposed;
    private bool _shutDown;

    private PluginTestServer(WebApplication app, string socketPath, IDisposable socketFolder, TimeSpan timeout)
    {
        _app = app;
        _socketFolder = socketFolder;
        _timeout = timeout;
        SocketPath = socketPath;
        Channel = UnixSocketChannel.Create(socketPath);
    }

    /// <summary>The Unix socket the plugin listens on.</summary>
    public string SocketPath { get; }

    /// <summary>A channel to the plugin, as a host dials it; <see cref="CreateClient{TClient}"/> makes clients on it.</summary>
    public GrpcChannel Channel { get; }

    /// <summary>The plugin's services (its dependencies, <see cref="IPluginLifecycle"/> implementations, options).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Starts the plugin's services in this process and, unless told otherwise, calls Init.</summary>
    /// <param name="configure">Adds the plugin's services, exactly as the plugin's <c>Main</c> passes to <see cref="PluginServer.RunAsync"/>.</param>
    /// <param name="options">The Init settings and other choices; null for the defaults.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    /// <returns>The running plugin; dispose it to stop it.</returns>
    /// <exception cref="RpcException">Init failed: the plugin refused its settings (the status carries its PluginError).</exception>
    public static async Task<PluginTestServer> StartAsync(Action<PluginBuilder> configure, PluginTestServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configure);
        options ??= new PluginTestServerOptions();
        var socketDirectory = options.SocketDirectory ?? Path.GetTempPath();
        var (app, socketPath, socketFolder) = PluginServer.BuildInProcess([.. options.Args], configure, socketDirectory, options.Logging);
        var server = new PluginTestServer(app, socketPath, socketFolder, options.StartTimeout);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.StartTimeout);
            await app.StartAsync(timeout.Token).ConfigureAwait(false);
            if (options.Initialize)
            {
                await server.InitAsync(options.Config, timeout.Token).ConfigureAwait(false);
            }

            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Makes a typed gRPC client of the plugin, such as <c>StorageService.StorageServiceClient</c>.</summary>
    /// <typeparam name="TClient">The generated client class.</typeparam>
    /// <returns>A client on <see cref="Channel"/>.</returns>
    public TClient CreateClient<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TClient>()
        where TClient : ClientBase<TClient> =>
        (TClient)Activator.CreateInstance(typeof(TClient), Channel.CreateCallInvoker())!;

    /// <summary>Calls Init with <paramref name="config"/>, as a host does before any other call and on a live config change.</summary>
    /// <param name="config">The plugin's settings; null for none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the plugin has accepted the settings.</returns>
    /// <exception cref="RpcException">The plugin refused the settings.</exception>
    public async Task InitAsync(IDictionary<string, string>? config = null, CancellationToken cancellationToken = default)
    {
        var request = new InitRequest { ApiVersion = PluginProtocol.ApiVersionName(PluginProtocol.AppProtocolVersion) };
        if (config is not null)
        {
            request.Config.Add(config);
        }

        await Lifecycle().InitAsync(request, deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
    }

    /// <summary>Gets the metadata the plugin reports to a host (name, version, type, capabilities, services).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The plugin's metadata.</returns>
    public async Task<PluginMetadata> GetMetadataAsync(CancellationToken cancellationToken = default)
    {
        var response = await Lifecycle().GetMetadataAsync(new GetMetadataRequest(), deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        return response.Metadata;
    }

    /// <summary>
    /// Calls Shutdown, as a host does before it stops a plugin: the plugin's <see cref="IPluginLifecycle"/> hooks run, and
    /// the server stops. Disposing calls it too when it has not been called.
    /// </summary>
    /// <param name="reason">The reason the host gives.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the plugin has stopped.</returns>
    public async Task ShutdownAsync(string reason = "test finished", CancellationToken cancellationToken = default)
    {
        await Lifecycle().ShutdownAsync(new ShutdownRequest { Reason = reason }, deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        _shutDown = true;
        using var timeout = new CancellationTokenSource(_timeout);
        await _app.WaitForShutdownAsync(timeout.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// The headers a host sends with a call on behalf of a user, a transfer or a request; the service reads them with
    /// <c>context.GetPluginContext()</c>. Pass them as a call's <c>headers</c>.
    /// </summary>
    /// <param name="userId">The user the call is made for, or null.</param>
    /// <param name="transferId">The transfer the call belongs to, or null.</param>
    /// <param name="requestId">The host request that caused the call, or null.</param>
    /// <returns>The call's headers.</returns>
    public static Metadata CallContext(string? userId = null, string? transferId = null, string? requestId = null)
    {
        var headers = new Metadata();
        if (userId is not null)
        {
            headers.Add(PluginProtocol.UserIdHeader, userId);
        }

        if (transferId is not null)
        {
            headers.Add(PluginProtocol.TransferIdHeader, transferId);
        }

        if (requestId is not null)
        {
            headers.Add(PluginProtocol.RequestIdHeader, requestId);
        }

        return headers;
    }

    /// <summary>Stops the plugin (Shutdown if the plugin still serves, then the server) and removes its socket folder.</summary>
    /// <returns>A task that completes when all is stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (!_shutDown)
        {
            try
            {
                await ShutdownAsync("the test disposed the PluginTestServer").ConfigureAwait(false);
            }
            catch (RpcException)
            {
                // A plugin whose Shutdown fails is still stopped below; the failure is the test's to check, by calling ShutdownAsync.
            }
            catch (OperationCanceledException)
            {
            }
        }

        try
        {
            using var timeout = new CancellationTokenSource(_timeout);
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The grace period ran out; disposing below ends what is left.
        }

        Channel.Dispose();
        await _app.DisposeAsync().ConfigureAwait(false);
        _socketFolder.Dispose();
    }

    private PluginService.PluginServiceClient Lifecycle() => new(Channel);

    private DateTime Deadline() => DateTime.UtcNow + _timeout;
}
