using System.Diagnostics.CodeAnalysis;
using Grpc.Core;
using GrpcPlugins.Hosting.Internal;
using GrpcPlugins.Plugin.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GrpcPlugins.Hosting;

/// <summary>
/// A supervised plugin: its process, the gRPC channel to it, and the watch that keeps it serving.
/// <see cref="StartAsync"/> launches the process, reads its handshake, dials it, waits for health, checks its metadata
/// and calls Init; the typed clients (<see cref="Auth"/>, <see cref="Storage"/>, <see cref="Protocol"/>,
/// <see cref="Monitor"/>) then call it. A plugin that exits, or stops answering health checks, is restarted with
/// exponential backoff; past <see cref="PluginOptions.MaxRestarts"/> in <see cref="PluginOptions.RestartWindow"/> it is
/// marked <see cref="PluginState.Crashed"/> until <see cref="RestartAsync"/>. While it is down, calls fail fast with
/// Unavailable, except idempotent ones, which wait for it within their deadline. Disposing it shuts the plugin down.
/// </summary>
public sealed class PluginClient : IAsyncDisposable, ILivePlugins
{
    private readonly PluginOptions _options;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly SupervisionState _status;
    private readonly PluginSupervisor _supervisor;
    private readonly CallRouter _router;
    private bool _standalone;

    private PluginClient(PluginOptions options, GrpcPluginsOptions hostOptions, ILogger logger, PluginInstance instance)
    {
        _options = options;
        _status = new SupervisionState(options, instance);
        _supervisor = new PluginSupervisor(options, hostOptions, logger, _status);
        _router = new CallRouter(options, logger, _status, _supervisor);
        CallInvoker = new SupervisedCallInvoker(this);
    }

    /// <summary>The plugin's configured name.</summary>
    public string Name => _options.Name;

    /// <summary>The plugin's type.</summary>
    public PluginType Type => _options.EffectiveType;

    /// <summary>The metadata the plugin reported at its latest start.</summary>
    public PluginMetadata Metadata => _status.Instance.Metadata;

    /// <summary>The process id of the plugin's latest start; 0 for a remote plugin, whose process the host does not own.</summary>
    public int ProcessId => _status.Instance.ProcessId;

    /// <summary>The address of a remote plugin's service (<see cref="PluginOptions.Remote"/>); null for a plugin process the host started.</summary>
    public string? RemoteAddress => _status.Instance.RemoteAddress;

    /// <summary>The handshake of the plugin's latest start, with the address it listens on.</summary>
    public HandshakeLine Handshake => _status.Instance.Handshake;

    /// <summary>The plugin's current state.</summary>
    public PluginState State => _status.Current;

    /// <summary>How many times the plugin has been restarted since <see cref="StartAsync"/>.</summary>
    public int RestartCount => _status.RestartCount;

    /// <summary>Why the plugin last went down, with its last stderr lines; null while it never has.</summary>
    public string? LastError => _status.LastError;

    /// <summary>
    /// How the sandbox of the plugin's latest start is enforced on this machine, rule by rule, and what is not enforced
    /// (<see cref="PluginOptions.Sandbox"/>); <see cref="SandboxReport.None"/> when it declares none.
    /// </summary>
    public SandboxReport Sandbox => _status.Instance.Sandbox;

    /// <summary>Completes with the exit code when the process of the plugin's latest start exits.</summary>
    public Task<int> Exited => _status.Instance.Exited;

    /// <summary>The last lines the plugin's latest process wrote on stderr.</summary>
    public string StderrTail => _status.Instance.StderrTail;

    /// <summary>The auth client. Throws <see cref="InvalidOperationException"/> if the plugin is not an auth plugin.</summary>
    public IAuthPlugin Auth => Typed(PluginType.Auth, () => new AuthPluginClient(this));

    /// <summary>The storage client. Throws <see cref="InvalidOperationException"/> if the plugin is not a storage plugin.</summary>
    public IStoragePlugin Storage => Typed(PluginType.Storage, () => new StoragePluginClient(this));

    /// <summary>The protocol client. Throws <see cref="InvalidOperationException"/> if the plugin is not a protocol plugin.</summary>
    public IProtocolPlugin Protocol => Typed(PluginType.Protocol, () => new ProtocolPluginClient(this));

    /// <summary>The monitor client. Throws <see cref="InvalidOperationException"/> if the plugin is not a monitor plugin.</summary>
    public IMonitorPlugin Monitor => Typed(PluginType.Monitor, () => new MonitorPluginClient(this));

    /// <summary>
    /// The supervised invoker behind <see cref="CreateClient{TClient}"/>, for advanced uses such as calling a method
    /// described at run time: every call through it gets the guarantees <see cref="CreateClient{TClient}"/> lists.
    /// </summary>
    public CallInvoker CallInvoker { get; }

    /// <summary>
    /// HashiCorp go-plugin's broker to the running plugin (go-plugin mode only, <see cref="PluginOptions.GoPlugin"/>):
    /// serve the plugin a callback on a broker id (<see cref="IPluginBroker.AcceptAsync"/>, or
    /// <c>AcceptAndServeAsync</c> from GrpcPlugins.Hosting.Callbacks) and send it the id in a call, or dial what the
    /// plugin serves (<see cref="IPluginBroker.DialAsync"/>). Each launch has its own broker; a restart forgets ids.
    /// Throws <see cref="InvalidOperationException"/> when used on a plugin not in go-plugin mode.
    /// </summary>
    public IPluginBroker Broker => new ClientBroker(this);

    internal PluginOptions Options => _options;

    /// <summary>
    /// Makes a client of any gRPC service the plugin serves, usually the application's own contract (named in
    /// <see cref="PluginOptions.Services"/>), from the client class Grpc.Tools generates for it. Each of its calls gets
    /// what the built-in typed clients' calls get: the bulkhead (<see cref="PluginOptions.MaxConcurrentCalls"/>, then
    /// ResourceExhausted), deadlines (<see cref="PluginOptions.MethodTimeouts"/>, <see cref="PluginOptions.CallTimeout"/>
    /// for unary calls), <see cref="PluginContext"/> and trace context, spans and metrics, a fast Unavailable while the
    /// plugin is down (idempotent unary calls, <see cref="PluginOptions.IdempotentMethods"/>, wait for a restart instead),
    /// and, across an upgrade, calls in flight that finish on the old instance while new ones go to the new one. A
    /// streaming call holds its bulkhead slot until it ends: its response stream is read to the end or fails, its
    /// response arrives, or it is disposed; dispose every streaming call. Every failure the caller sees, from the call's
    /// response, streams or headers, is a <see cref="PluginException"/> (never an <see cref="RpcException"/>) with the
    /// plugin's typed code and metadata; the call's <c>CancellationToken</c> cancels it in the plugin.
    /// </summary>
    /// <typeparam name="TClient">The generated client, such as <c>ScannerService.ScannerServiceClient</c>.</typeparam>
    /// <returns>A client whose calls go to this plugin, or to its successor after an upgrade. It is cheap; make one per use or keep one.</returns>
    /// <exception cref="InvalidOperationException"><typeparamref name="TClient"/> has no public constructor taking a <see cref="CallInvoker"/>.</exception>
    public TClient CreateClient<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TClient>()
        where TClient : ClientBase<TClient>
    {
        var constructor = typeof(TClient).GetConstructor([typeof(CallInvoker)])
            ?? throw new InvalidOperationException($"{typeof(TClient).Name} has no public constructor taking a CallInvoker; pass a client class generated by Grpc.Tools, such as MyService.MyServiceClient.");
        return (TClient)constructor.Invoke([CallInvoker]);
    }

    /// <summary>Whether the plugin serves a gRPC service: its metadata lists it, or, for a plugin that lists none, its type implies it.</summary>
    internal bool Serves(string serviceName) => _status.Instance.Services.Contains(serviceName, StringComparer.Ordinal);

    /// <summary>Launches a plugin, makes it ready for calls and starts supervising it.</summary>
    /// <param name="options">How to start and call the plugin.</param>
    /// <param name="hostOptions">The host's plugin settings; defaults apply when null.</param>
    /// <param name="loggerFactory">Receives the host's and the plugin's log lines; none when null.</param>
    /// <param name="cancellationToken">Abandons the start; the process is killed.</param>
    /// <returns>The running plugin.</returns>
    /// <exception cref="PluginException">The plugin could not be started; the message says why and what to do.</exception>
    public static async Task<PluginClient> StartAsync(
        PluginOptions options,
        GrpcPluginsOptions? hostOptions = null,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        var client = await LaunchAsync(options, hostOptions, loggerFactory, cancellationToken).ConfigureAwait(false);

        // Not in a registry, so it is its own list of live plugins until it stops.
        client._standalone = true;
        HostingTelemetry.Observe(client);
        return client;
    }

    /// <summary><see cref="StartAsync"/> for a plugin that a registry lists, and so observes.</summary>
    internal static async Task<PluginClient> LaunchAsync(
        PluginOptions options, GrpcPluginsOptions? hostOptions, ILoggerFactory? loggerFactory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate().ToList();
        if (problems.Count > 0)
        {
            throw PluginException.FromHost(PluginErrorCode.InvalidArgument, string.Join(Environment.NewLine, problems), options.Name);
        }

        hostOptions ??= new GrpcPluginsOptions();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("GrpcPlugins.Plugin." + options.Name);
        var instance = await PluginInstance.StartAsync(options, hostOptions, options.Config, logger, cancellationToken).ConfigureAwait(false);
        var client = new PluginClient(options, hostOptions, logger, instance);
        client._supervisor.Start();
        return client;
    }

    /// <summary>
    /// Applies a new configuration. A plugin with <see cref="Capability.LiveReconfigure"/> gets it through Init while it
    /// runs; any other plugin is restarted with it. Restarts after a crash use the latest accepted configuration.
    /// </summary>
    /// <param name="config">The new configuration.</param>
    /// <param name="cancellationToken">Cancels the change.</param>
    /// <returns>A task that completes when the plugin runs with the configuration.</returns>
    /// <exception cref="PluginException">The plugin refused the configuration; the previous one stays in force.</exception>
    public async Task ReconfigureAsync(IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        var next = new Dictionary<string, string>(config);
        if (Metadata.Capabilities.Contains(Capability.LiveReconfigure))
        {
            await CallAsync(async (invoker, ct) =>
            {
                await PluginInstance.InitAsync(invoker, Handshake.AppVersion, next, ct).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);
            _supervisor.Config = next;
            return;
        }

        var previous = _supervisor.Config;
        _supervisor.Config = next;
        try
        {
            await RestartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PluginException)
        {
            // The plugin refused to start with it: bring it back with the configuration that worked.
            _supervisor.Config = previous;
            await RestartAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Restarts the plugin now: a graceful stop, then a fresh start with the current configuration. This is how an
    /// operator brings back a plugin marked <see cref="PluginState.Crashed"/>; its restart history is cleared.
    /// </summary>
    /// <param name="cancellationToken">Abandons the restart; the plugin is then left crashed.</param>
    /// <returns>A task that completes when the plugin is running again.</returns>
    /// <exception cref="PluginException">The plugin failed to start; it is marked crashed with the reason.</exception>
    /// <exception cref="InvalidOperationException">The plugin has been stopped; start a new client instead.</exception>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_status.Recorded is PluginState.Stopping or PluginState.Stopped)
            {
                throw new InvalidOperationException($"Plugin '{Name}' has been stopped; start it again with PluginClient.StartAsync.");
            }

            await _supervisor.RestartNowAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Stops the plugin: no more restarts, Shutdown, up to the grace period for it to exit, then a kill.</summary>
    /// <param name="cancellationToken">Skips the rest of the grace period and kills the plugin at once.</param>
    /// <returns>A task that completes when the process has exited.</returns>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_status.Recorded is PluginState.Stopped)
            {
                return;
            }

            var wasRunning = State == PluginState.Running;
            _status.MoveTo(PluginState.Stopping);
            await _supervisor.StopAsync().ConfigureAwait(false);
            await _status.Instance.StopAsync(askFirst: wasRunning, cancellationToken).ConfigureAwait(false);
            _status.MoveTo(PluginState.Stopped);
            if (_standalone)
            {
                HostingTelemetry.Forget(this);
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _router.Dispose();
    }

    /// <inheritdoc />
    IEnumerable<PluginClient> ILivePlugins.Live => [this];

    /// <summary>
    /// Runs one call through the bulkhead, turning every failure into a <see cref="PluginException"/>. A plugin that is
    /// not running fails the call at once with <see cref="PluginErrorCode.Unavailable"/>. An idempotent call (named by
    /// <paramref name="idempotentMethod"/>) instead waits for a restarting plugin, and is tried again if the plugin dies
    /// under it, within the method's deadline. See <see cref="CallRouter"/>.
    /// </summary>
    internal Task<T> CallAsync<T>(
        Func<CallInvoker, CancellationToken, Task<T>> call, CancellationToken cancellationToken, string? idempotentMethod = null) =>
        _router.CallAsync((instance, ct) => call(instance.Invoker, ct), cancellationToken, idempotentMethod);

    /// <summary>
    /// <see cref="CallAsync{T}(Func{CallInvoker, CancellationToken, Task{T}}, CancellationToken, string?)"/> for a call
    /// that depends on the instance it reaches, such as on the API version that instance chose.
    /// </summary>
    internal Task<T> CallAsync<T>(
        Func<PluginInstance, CancellationToken, Task<T>> call, CancellationToken cancellationToken, string? idempotentMethod = null) =>
        _router.CallAsync(call, cancellationToken, idempotentMethod);

    /// <summary>
    /// Hands this plugin's calls over to <paramref name="successor"/>: new calls, through this client too, go to the
    /// successor at once; calls in flight here (downloads until they are disposed) finish, for up to
    /// <see cref="PluginOptions.DrainTimeout"/>; then this plugin is stopped.
    /// </summary>
    internal async Task RetireAsync(PluginClient successor)
    {
        _router.HandOver(successor);
        await _router.DrainAsync().ConfigureAwait(false);
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends every new call, through this client too, to <paramref name="successor"/>. The registry calls it in the same
    /// step that lists the successor, so that no call made after the switch reaches this plugin.
    /// </summary>
    internal void HandOver(PluginClient successor) => _router.HandOver(successor);

    /// <summary>Asks the running plugin's health service once; false when it is not running, not serving or slow to answer.</summary>
    internal Task<bool> IsHealthyAsync(CancellationToken cancellationToken) => State == PluginState.Running
        ? _status.Instance.IsHealthyAsync(_options.HealthCheckTimeout, cancellationToken)
        : Task.FromResult(false);

    /// <summary>The running plugin's instance, for calls outside the bulkhead; fails fast when it is not running.</summary>
    internal PluginInstance RunningInstance() => _router.RunningInstance();

    private T Typed<T>(PluginType type, Func<T> create) => Type == type
        ? create()
        : throw new InvalidOperationException($"Plugin '{Name}' is a {PluginInstance.Describe(Type)} plugin, not a {PluginInstance.Describe(type)} plugin.");
}
