using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Health.V1;
using Grpc.Net.Client;
using GrpcPlugins.Hosting.Internal;
using GrpcPlugins.Plugin.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GrpcPlugins.Hosting;

/// <summary>
/// A running plugin process and the gRPC channel to it. <see cref="StartAsync"/> launches the process, reads its
/// handshake, dials it, waits for health, checks its metadata and calls Init; the typed clients
/// (<see cref="Auth"/>, <see cref="Storage"/>, <see cref="Protocol"/>, <see cref="Monitor"/>) then call it.
/// Disposing it shuts the plugin down: Shutdown, a grace period, then a kill.
/// </summary>
public sealed class PluginClient : IAsyncDisposable
{
    private readonly PluginOptions _options;
    private readonly PluginProcess _process;
    private readonly GrpcChannel _channel;
    private readonly ILogger _logger;
    private volatile PluginState _state = PluginState.Starting;
    private PluginMetadata _metadata = new();

    private PluginClient(PluginOptions options, PluginProcess process, HandshakeLine handshake, ILogger logger)
    {
        _options = options;
        _process = process;
        _logger = logger;
        Handshake = handshake;
        _channel = PluginChannel.Create(handshake, options);
        Invoker = _channel.Intercept(new PluginCallInterceptor(options.CallTimeout));
        _ = WatchExitAsync();
    }

    /// <summary>The plugin's configured name.</summary>
    public string Name => _options.Name;

    /// <summary>The plugin's type.</summary>
    public PluginType Type => _options.Type;

    /// <summary>The metadata the plugin reported at start.</summary>
    public PluginMetadata Metadata => _metadata;

    /// <summary>The plugin's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>The plugin's handshake, with the address it listens on.</summary>
    public HandshakeLine Handshake { get; }

    /// <summary>The plugin's current state.</summary>
    public PluginState State => _state is PluginState.Running or PluginState.Starting && _process.Exited.IsCompleted
        ? PluginState.Crashed
        : _state;

    /// <summary>Completes with the exit code when the plugin process exits.</summary>
    public Task<int> Exited => _process.Exited;

    /// <summary>The last lines the plugin wrote on stderr.</summary>
    public string StderrTail => _process.StderrTail;

    /// <summary>The auth client. Throws <see cref="InvalidOperationException"/> if the plugin is not an auth plugin.</summary>
    public IAuthPlugin Auth => Typed(PluginType.Auth, () => new AuthPluginClient(this));

    /// <summary>The storage client. Throws <see cref="InvalidOperationException"/> if the plugin is not a storage plugin.</summary>
    public IStoragePlugin Storage => Typed(PluginType.Storage, () => new StoragePluginClient(this));

    /// <summary>The protocol client. Throws <see cref="InvalidOperationException"/> if the plugin is not a protocol plugin.</summary>
    public IProtocolPlugin Protocol => Typed(PluginType.Protocol, () => new ProtocolPluginClient(this));

    /// <summary>The monitor client. Throws <see cref="InvalidOperationException"/> if the plugin is not a monitor plugin.</summary>
    public IMonitorPlugin Monitor => Typed(PluginType.Monitor, () => new MonitorPluginClient(this));

    internal CallInvoker Invoker { get; }

    internal PluginOptions Options => _options;

    /// <summary>Launches a plugin and makes it ready for calls.</summary>
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
            throw new PluginException(PluginErrorCode.InvalidArgument, string.Join(Environment.NewLine, problems))
            {
                Source = PluginErrorSource.Host,
                PluginName = options.Name,
            };
        }

        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("GrpcPlugins.Plugin." + options.Name);
        var startInfo = PluginStartInfo.Create(options, hostOptions ?? new GrpcPluginsOptions());
        HostingLog.Starting(logger, options.Name, startInfo.FileName + " " + string.Join(' ', startInfo.ArgumentList));
        var process = PluginProcess.Start(startInfo, options.Name, logger);
        PluginClient? client = null;
        try
        {
            using var startTimer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            startTimer.CancelAfter(options.StartTimeout);
            var handshake = await process.ReadHandshakeAsync(options.StartTimeout, cancellationToken).ConfigureAwait(false);
            if (PluginHostProtocol.CheckHandshake(handshake) is { } mismatch)
            {
                throw process.Failure(PluginErrorCode.FailedPrecondition, mismatch);
            }

            client = new PluginClient(options, process, handshake, logger);
            await client.InitializeAsync(startTimer.Token, cancellationToken).ConfigureAwait(false);
            HostingLog.Started(logger, options.Name, client.Metadata.Version, client.Metadata.Type.ToString(), process.Id, handshake.Network, handshake.Address, handshake.AppVersion);
            return client;
        }
        catch (Exception ex)
        {
            HostingLog.StartFailed(logger, options.Name, ex.Message);
            if (client is not null)
            {
                client._state = PluginState.Crashed;
                client._channel.Dispose();
            }

            await process.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Sends a new configuration to the running plugin through Init.</summary>
    /// <param name="config">The new configuration.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the plugin accepted the configuration.</returns>
    public Task ReconfigureAsync(IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        return CallAsync(async (invoker, ct) =>
        {
            var request = new InitRequest { ApiVersion = PluginProtocol.ApiVersionName(Handshake.AppVersion) };
            foreach (var (key, value) in config)
            {
                request.Config[key] = value;
            }

            await new PluginService.PluginServiceClient(invoker).InitAsync(request, cancellationToken: ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <summary>Stops the plugin: Shutdown, then up to the grace period for it to exit, then a kill.</summary>
    /// <param name="cancellationToken">Skips the rest of the grace period and kills the plugin at once.</param>
    /// <returns>A task that completes when the process has exited.</returns>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_state is PluginState.Stopped)
        {
            return;
        }

        var wasRunning = _state == PluginState.Running;
        _state = PluginState.Stopping;
        HostingLog.Stopping(_logger, Name, ProcessId);
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        grace.CancelAfter(_options.ShutdownGracePeriod);
        if (wasRunning)
        {
            try
            {
                await new PluginService.PluginServiceClient(_channel)
                    .ShutdownAsync(new ShutdownRequest { Reason = "the host is stopping the plugin" }, cancellationToken: grace.Token)
                    .ConfigureAwait(false);
            }
            catch (RpcException ex)
            {
                HostingLog.ShutdownCallFailed(_logger, Name, ex.Status.Detail);
            }
        }

        _process.CloseStdin();
        if (await Task.WhenAny(_process.Exited, Task.Delay(Timeout.Infinite, grace.Token).ContinueWith(_ => { }, TaskScheduler.Default)).ConfigureAwait(false) != _process.Exited)
        {
            HostingLog.Killing(_logger, Name, _options.ShutdownGracePeriod, ProcessId);
        }

        await _process.DisposeAsync().ConfigureAwait(false);
        _channel.Dispose();
        _state = PluginState.Stopped;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <summary>
    /// Runs one call, turning every failure into a <see cref="PluginException"/>. A plugin that is not running
    /// fails at once with <see cref="PluginErrorCode.Unavailable"/> rather than waiting for a connection.
    /// </summary>
    internal async Task<T> CallAsync<T>(Func<CallInvoker, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        EnsureRunning();
        try
        {
            return await call(Invoker, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw await TranslateAsync(ex).ConfigureAwait(false);
        }
    }

    internal void EnsureRunning()
    {
        if (State != PluginState.Running)
        {
            throw NotRunning();
        }
    }

    internal async Task<PluginException> TranslateAsync(RpcException exception)
    {
        if (exception.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown && exception.GetRpcStatus() is null)
        {
            // A transport error is often the plugin dying; give its exit a moment to be seen so the error says so.
            await Task.WhenAny(_process.Exited, Task.Delay(TimeSpan.FromMilliseconds(250))).ConfigureAwait(false);
            if (_process.Exited.IsCompleted)
            {
                return _process.Failure(PluginErrorCode.Unavailable, $"exited with code {_process.Exited.Result} during the call.");
            }
        }

        return PluginErrors.FromRpcException(exception, Name);
    }

    private PluginException NotRunning()
    {
        var why = State switch
        {
            PluginState.Crashed when _process.Exited.IsCompleted => $"is not running: it exited with code {_process.Exited.Result}.",
            PluginState.Stopping or PluginState.Stopped => "is stopping or stopped, and takes no new calls.",
            _ => $"is not running (state {_state}).",
        };
        return _process.Failure(PluginErrorCode.Unavailable, why);
    }

    private async Task InitializeAsync(CancellationToken startToken, CancellationToken callerToken)
    {
        try
        {
            await WaitForHealthAsync(startToken).ConfigureAwait(false);
            var lifecycle = new PluginService.PluginServiceClient(Invoker);
            var metadata = (await lifecycle.GetMetadataAsync(new GetMetadataRequest(), cancellationToken: startToken).ConfigureAwait(false)).Metadata;
            _metadata = metadata ?? throw _process.Failure(PluginErrorCode.Internal, "answered GetMetadata without metadata.");
            if (metadata.Type != Type)
            {
                throw _process.Failure(PluginErrorCode.FailedPrecondition, $"is a {Describe(metadata.Type)} plugin, but it is configured as {Describe(Type)}. Fix the plugin's Type or Command.");
            }

            if (PluginHostProtocol.CheckApiVersions(metadata.ApiVersions, Handshake.AppVersion) is { } versionProblem)
            {
                throw _process.Failure(PluginErrorCode.FailedPrecondition, versionProblem);
            }

            var init = new InitRequest { ApiVersion = PluginProtocol.ApiVersionName(Handshake.AppVersion) };
            init.Config.Add(_options.Config);
            await lifecycle.InitAsync(init, cancellationToken: startToken).ConfigureAwait(false);
            _state = PluginState.Running;
        }
        catch (RpcException ex) when (startToken.IsCancellationRequested && !callerToken.IsCancellationRequested)
        {
            throw _process.Failure(PluginErrorCode.Timeout, $"did not become healthy and initialized within {_options.StartTimeout.TotalSeconds:0.#} s ({ex.Status.Detail}).");
        }
        catch (RpcException ex)
        {
            var error = await TranslateAsync(ex).ConfigureAwait(false);
            throw _process.Failure(error.Code, $"failed to start: {error.Message}");
        }
    }

    private async Task WaitForHealthAsync(CancellationToken cancellationToken)
    {
        var health = new Health.HealthClient(_channel);
        var delay = TimeSpan.FromMilliseconds(10);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.Exited.IsCompleted)
            {
                throw _process.Failure(PluginErrorCode.Unavailable, $"exited with code {_process.Exited.Result} before it became healthy.");
            }

            try
            {
                var reply = await health.CheckAsync(
                    new HealthCheckRequest { Service = PluginProtocol.HealthServiceName },
                    deadline: DateTime.UtcNow.AddSeconds(2),
                    cancellationToken: cancellationToken).ConfigureAwait(false);
                if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded && !cancellationToken.IsCancellationRequested)
            {
                // Not listening yet; try again shortly.
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 200));
        }
    }

    private async Task WatchExitAsync()
    {
        var code = await _process.Exited.ConfigureAwait(false);
        if (_state is PluginState.Running or PluginState.Starting)
        {
            HostingLog.Exited(_logger, Name, code);
        }
    }

    private T Typed<T>(PluginType type, Func<T> create) => Type == type
        ? create()
        : throw new InvalidOperationException($"Plugin '{Name}' is a {Describe(Type)} plugin, not a {Describe(type)} plugin.");

    private static string Describe(PluginType type) => type.ToString().ToLowerInvariant();
}
