using System.Diagnostics.CodeAnalysis;
using System.Threading.RateLimiting;
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
public sealed class PluginClient : IAsyncDisposable
{
    private readonly PluginOptions _options;
    private readonly GrpcPluginsOptions _hostOptions;
    private readonly ILogger _logger;
    private readonly RestartHistory _restarts;
    private readonly ConcurrencyLimiter _bulkhead;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly Lock _stateLock = new();
    private PluginInstance _instance;
    private IReadOnlyDictionary<string, string> _config;
    private PluginState _state = PluginState.Running;
    private TaskCompletionSource _stateChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource _supervision = new();
    private Task _supervisor = Task.CompletedTask;
    private bool _supervisionStopped;
    private int _restartCount;
    private string? _lastError;
    private PluginClient? _successor;
    private int _inFlight;

    private PluginClient(PluginOptions options, GrpcPluginsOptions hostOptions, ILogger logger, PluginInstance instance)
    {
        _options = options;
        _hostOptions = hostOptions;
        _logger = logger;
        _instance = instance;
        CallInvoker = new SupervisedCallInvoker(this);
        _config = new Dictionary<string, string>(options.Config);
        _restarts = new RestartHistory(options, TimeProvider.System, Random.Shared);
        _bulkhead = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = options.MaxConcurrentCalls,
            QueueLimit = options.MaxQueuedCalls,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>The plugin's configured name.</summary>
    public string Name => _options.Name;

    /// <summary>The plugin's type.</summary>
    public PluginType Type => _options.EffectiveType;

    /// <summary>The metadata the plugin reported at its latest start.</summary>
    public PluginMetadata Metadata => _instance.Metadata;

    /// <summary>The process id of the plugin's latest start.</summary>
    public int ProcessId => _instance.ProcessId;

    /// <summary>The handshake of the plugin's latest start, with the address it listens on.</summary>
    public HandshakeLine Handshake => _instance.Handshake;

    /// <summary>The plugin's current state.</summary>
    public PluginState State
    {
        get
        {
            var state = _state;
            return state == PluginState.Running && _instance.Exited.IsCompleted
                ? (_options.RestartOnCrash ? PluginState.Starting : PluginState.Crashed)
                : state;
        }
    }

    /// <summary>How many times the plugin has been restarted since <see cref="StartAsync"/>.</summary>
    public int RestartCount => Volatile.Read(ref _restartCount);

    /// <summary>Why the plugin last went down, with its last stderr lines; null while it never has.</summary>
    public string? LastError => Volatile.Read(ref _lastError);

    /// <summary>
    /// How the sandbox of the plugin's latest start is enforced on this machine, rule by rule, and what is not enforced
    /// (<see cref="PluginOptions.Sandbox"/>); <see cref="SandboxReport.None"/> when it declares none.
    /// </summary>
    public SandboxReport Sandbox => _instance.Sandbox;

    /// <summary>Completes with the exit code when the process of the plugin's latest start exits.</summary>
    public Task<int> Exited => _instance.Exited;

    /// <summary>The last lines the plugin's latest process wrote on stderr.</summary>
    public string StderrTail => _instance.StderrTail;

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
    internal bool Serves(string serviceName) => _instance.Services.Contains(serviceName, StringComparer.Ordinal);

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
        HostingTelemetry.Track(client);
        client.Supervise();
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
            _config = next;
            return;
        }

        var previous = _config;
        _config = next;
        try
        {
            await RestartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PluginException)
        {
            // The plugin refused to start with it: bring it back with the configuration that worked.
            _config = previous;
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
            if (_state is PluginState.Stopping or PluginState.Stopped)
            {
                throw new InvalidOperationException($"Plugin '{Name}' has been stopped; start it again with PluginClient.StartAsync.");
            }

            await StopSupervisionAsync().ConfigureAwait(false);
            var wasRunning = State == PluginState.Running;
            SetState(PluginState.Starting);
            await _instance.StopAsync(askFirst: wasRunning, cancellationToken).ConfigureAwait(false);
            _restarts.Clear();
            try
            {
                _instance = await PluginInstance.StartAsync(_options, _hostOptions, _config, _logger, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Volatile.Write(ref _lastError, ex.Message);
                SetState(PluginState.Crashed);
                throw;
            }

            Interlocked.Increment(ref _restartCount);
            HostingTelemetry.RecordRestart(Name, "operator");
            SetState(PluginState.Running);
            Supervise();
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
            if (_state is PluginState.Stopped)
            {
                return;
            }

            var wasRunning = State == PluginState.Running;
            SetState(PluginState.Stopping);
            await StopSupervisionAsync().ConfigureAwait(false);
            await _instance.StopAsync(askFirst: wasRunning, cancellationToken).ConfigureAwait(false);
            SetState(PluginState.Stopped);
            HostingTelemetry.Untrack(this);
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
        _bulkhead.Dispose();
    }

    /// <summary>
    /// Runs one call through the bulkhead, turning every failure into a <see cref="PluginException"/>. A plugin that is
    /// not running fails the call at once with <see cref="PluginErrorCode.Unavailable"/>. An idempotent call (named by
    /// <paramref name="idempotentMethod"/>) instead waits for a restarting plugin, and is tried again if the plugin dies
    /// under it, within the method's deadline.
    /// </summary>
    internal Task<T> CallAsync<T>(
        Func<CallInvoker, CancellationToken, Task<T>> call, CancellationToken cancellationToken, string? idempotentMethod = null) =>
        CallAsync((instance, ct) => call(instance.Invoker, ct), cancellationToken, idempotentMethod);

    /// <summary>
    /// <see cref="CallAsync{T}(Func{CallInvoker, CancellationToken, Task{T}}, CancellationToken, string?)"/> for a call
    /// that depends on the instance it reaches, such as on the API version that instance chose.
    /// </summary>
    internal async Task<T> CallAsync<T>(
        Func<PluginInstance, CancellationToken, Task<T>> call, CancellationToken cancellationToken, string? idempotentMethod = null)
    {
        // Counted before the successor is read, so a drain that saw no calls in flight cannot miss one that then goes
        // to this instance: each side writes first (count, successor) and reads the other's write second.
        Interlocked.Increment(ref _inFlight);
        if (Volatile.Read(ref _successor) is { } successor)
        {
            LeaveCall();
            return await successor.CallAsync(call, cancellationToken, idempotentMethod).ConfigureAwait(false);
        }

        var slotHandedOver = false;
        RateLimitLease? lease = null;
        PluginClient? forwardTo;
        try
        {
            // Only an idempotent call waits for a restart, so only it needs a budget beyond the caller's token.
            using var budget = idempotentMethod is null ? null : Budget(idempotentMethod, cancellationToken);
            lease = await EnterAsync(cancellationToken).ConfigureAwait(false);

            while (true)
            {
                // A call that has not reached the plugin yet (it queued in the bulkhead, or waits to be retried) goes
                // to the successor once there is one, rather than to a plugin about to stop.
                if (await ReadyInstanceAsync(waitForRestart: budget is not null, budget?.Token ?? cancellationToken, cancellationToken).ConfigureAwait(false) is not { } instance)
                {
                    forwardTo = Volatile.Read(ref _successor)!;
                    break;
                }

                try
                {
                    var result = await call(instance, cancellationToken).ConfigureAwait(false);
                    if (result is ICallSlotHolder holder && lease is not null)
                    {
                        // A download or a streaming call holds its slot, and counts as in flight, until it ends.
                        holder.HoldUntilDisposed(new CallSlot(this, lease));
                        lease = null;
                        slotHandedOver = true;
                    }

                    return result;
                }
                catch (RpcException ex)
                {
                    var error = await instance.TranslateAsync(ex).ConfigureAwait(false);
                    var pluginWentAway = error.Code == PluginErrorCode.Unavailable && (instance.Exited.IsCompleted || instance != _instance);
                    if (budget is null || !pluginWentAway || budget.IsCancellationRequested)
                    {
                        throw error;
                    }

                    HostingLog.RetryingCall(_logger, Name, error.Message);
                }
            }
        }
        finally
        {
            lease?.Dispose();
            if (!slotHandedOver)
            {
                LeaveCall();
            }
        }

        return await forwardTo.CallAsync(call, cancellationToken, idempotentMethod).ConfigureAwait(false);
    }

    /// <summary>
    /// Hands this plugin's calls over to <paramref name="successor"/>: new calls, through this client too, go to the
    /// successor at once; calls in flight here (downloads until they are disposed) finish, for up to
    /// <see cref="PluginOptions.DrainTimeout"/>; then this plugin is stopped.
    /// </summary>
    internal async Task RetireAsync(PluginClient successor)
    {
        HandOver(successor);
        var inFlight = Volatile.Read(ref _inFlight);
        if (inFlight > 0)
        {
            HostingLog.Draining(_logger, Name, ProcessId, inFlight, _options.DrainTimeout);
            using var drain = new CancellationTokenSource(_options.DrainTimeout);
            try
            {
                while (Volatile.Read(ref _inFlight) > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(20), drain.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                HostingLog.DrainTimedOut(_logger, Name, Volatile.Read(ref _inFlight), _options.DrainTimeout);
            }
        }

        await StopAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends every new call, through this client too, to <paramref name="successor"/>. The registry calls it in the same
    /// step that lists the successor, so that no call made after the switch reaches this plugin.
    /// </summary>
    internal void HandOver(PluginClient successor)
    {
        Interlocked.Exchange(ref _successor, successor);

        // Calls waiting for this plugin to come back wake up and go to the successor.
        SetState(null);
    }

    /// <summary>Asks the running plugin's health service once; false when it is not running, not serving or slow to answer.</summary>
    internal Task<bool> IsHealthyAsync(CancellationToken cancellationToken) => State == PluginState.Running
        ? _instance.IsHealthyAsync(_options.HealthCheckTimeout, cancellationToken)
        : Task.FromResult(false);

    private void LeaveCall() => Interlocked.Decrement(ref _inFlight);

    // The time an idempotent call may spend waiting for a restart and trying again: its method's deadline.
    private CancellationTokenSource Budget(string method, CancellationToken cancellationToken)
    {
        var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(_options.TimeoutOf(method) ?? _options.CallTimeout);
        return budget;
    }

    /// <summary>The running plugin's instance, for calls outside the bulkhead; fails fast when it is not running.</summary>
    internal PluginInstance RunningInstance()
    {
        if (Volatile.Read(ref _successor) is { } successor)
        {
            return successor.RunningInstance();
        }

        var state = State;
        return state == PluginState.Running ? _instance : throw NotRunning(state);
    }

    private async Task<RateLimitLease?> EnterAsync(CancellationToken cancellationToken)
    {
        var lease = await _bulkhead.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        if (lease.IsAcquired)
        {
            return lease;
        }

        lease.Dispose();
        throw PluginException.FromHost(
            PluginErrorCode.ResourceExhausted,
            $"Plugin '{Name}' has {_options.MaxConcurrentCalls} calls in flight and {_options.MaxQueuedCalls} waiting, so this call was refused. Try again shortly, or raise the plugin's MaxConcurrentCalls or MaxQueuedCalls.",
            Name);
    }

    // The instance to call, or null once the plugin has a successor to call instead.
    private async Task<PluginInstance?> ReadyInstanceAsync(bool waitForRestart, CancellationToken budget, CancellationToken callerToken)
    {
        while (true)
        {
            Task changed;
            lock (_stateLock)
            {
                changed = _stateChanged.Task;
            }

            if (Volatile.Read(ref _successor) is not null)
            {
                return null;
            }

            var state = State;
            if (state == PluginState.Running)
            {
                return _instance;
            }

            if (!waitForRestart || state != PluginState.Starting)
            {
                throw NotRunning(state);
            }

            try
            {
                await changed.WaitAsync(budget).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!callerToken.IsCancellationRequested)
            {
                throw _instance.Failure(PluginErrorCode.Unavailable, "is restarting and did not come back within the call's deadline.");
            }
        }
    }

    private PluginException NotRunning(PluginState state)
    {
        var why = state switch
        {
            PluginState.Starting => $"is restarting after it went down ({LastError ?? "exited"}); try again shortly.",
            PluginState.Crashed => $"is not running: {(_options.RestartOnCrash ? $"it went down {_restarts.InWindow + 1} times within {_options.RestartWindow}" : "it went down and RestartOnCrash is off")}, so it stays down until an operator restarts it. Last error: {LastError ?? $"it exited with code {(_instance.Exited.IsCompleted ? _instance.Exited.Result : -1)}."}",
            PluginState.Stopping or PluginState.Stopped => "is stopping or stopped, and takes no new calls.",
            _ => $"is not running (state {state}).",
        };
        var error = state == PluginState.Crashed && LastError is not null
            ? new PluginException(PluginErrorCode.Unavailable, $"Plugin '{Name}' {why}") { ErrorSource = PluginErrorSource.Plugin, PluginName = Name }
            : _instance.Failure(PluginErrorCode.Unavailable, why);
        return error;
    }

    // Sets the state (null keeps it) and wakes the calls waiting for a change.
    private void SetState(PluginState? state)
    {
        TaskCompletionSource changed;
        lock (_stateLock)
        {
            _state = state ?? _state;
            changed = _stateChanged;
            _stateChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    private void Supervise()
    {
        _supervision = new CancellationTokenSource();
        _supervisionStopped = false;
        var token = _supervision.Token;
        _supervisor = Task.Run(() => SuperviseAsync(token), CancellationToken.None);
    }

    private async Task StopSupervisionAsync()
    {
        // A restart that failed left supervision stopped: the rollback's restart, or a later stop, finds nothing to stop.
        if (_supervisionStopped)
        {
            return;
        }

        _supervisionStopped = true;
        await _supervision.CancelAsync().ConfigureAwait(false);
        await _supervisor.ConfigureAwait(false);
        _supervision.Dispose();
    }

    private async Task SuperviseAsync(CancellationToken stopping)
    {
        try
        {
            while (true)
            {
                var instance = _instance;
                var why = await PluginWatch.UntilDownAsync(instance, _options, _logger, stopping).ConfigureAwait(false);
                Volatile.Write(ref _lastError, instance.Failure(PluginErrorCode.Unavailable, why).Message);
                HostingLog.Exited(_logger, Name, instance.Exited.IsCompleted ? instance.Exited.Result : -1);
                await instance.DisposeAsync().ConfigureAwait(false);
                if (!await RestartWithBackoffAsync(stopping).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (stopping.IsCancellationRequested && ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            // Stopped or restarted on purpose; a health check in flight then ends as a cancelled call, not as an OperationCanceledException.
        }
    }

    private async Task<bool> RestartWithBackoffAsync(CancellationToken stopping)
    {
        while (true)
        {
            if (_restarts.NextDelay() is not { } delay)
            {
                HostingLog.GaveUp(_logger, Name, _restarts.InWindow, _options.RestartWindow, LastError ?? string.Empty);
                SetState(PluginState.Crashed);
                return false;
            }

            SetState(PluginState.Starting);
            HostingLog.Restarting(_logger, Name, FirstLine(LastError), _restarts.InWindow, _options.MaxRestarts, _options.RestartWindow, delay);
            await Task.Delay(delay, stopping).ConfigureAwait(false);
            try
            {
                _instance = await PluginInstance.StartAsync(_options, _hostOptions, _config, _logger, stopping).ConfigureAwait(false);
            }
            catch (PluginException ex)
            {
                Volatile.Write(ref _lastError, ex.Message);
                continue;
            }

            var count = Interlocked.Increment(ref _restartCount);
            HostingTelemetry.RecordRestart(Name, "crash");
            SetState(PluginState.Running);
            HostingLog.Restarted(_logger, Name, _instance.ProcessId, count);
            return true;
        }
    }

    /// <summary>A call's bulkhead slot and its place among the calls in flight, given back together.</summary>
    private sealed class CallSlot(PluginClient owner, RateLimitLease lease) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                lease.Dispose();
                owner.LeaveCall();
            }
        }
    }

    private static string FirstLine(string? text) => text is null ? string.Empty : text.Split('\n')[0].TrimEnd();

    private T Typed<T>(PluginType type, Func<T> create) => Type == type
        ? create()
        : throw new InvalidOperationException($"Plugin '{Name}' is a {PluginInstance.Describe(Type)} plugin, not a {PluginInstance.Describe(type)} plugin.");
}
