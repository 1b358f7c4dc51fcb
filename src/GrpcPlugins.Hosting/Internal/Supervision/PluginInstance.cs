using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Health.V1;
using Grpc.Net.Client;
using GrpcPlugins.Internal;
using GrpcPlugins.Plugin.V1;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// One launch of a plugin: its process, the channel to it and what it reported at start. A
/// <see cref="PluginClient"/> replaces its instance when the plugin crashes and is restarted. For a remote plugin
/// (<see cref="PluginOptions.Remote"/>) it is one connection to the plugin's service instead of a process.
/// </summary>
internal sealed class PluginInstance : IAsyncDisposable
{
    private readonly PluginOptions _options;
    // The process, or for a remote plugin its connection (Internal/Remote/RemoteEndpoint).
    private readonly IPluginEndpoint _process;
    private readonly GrpcChannel _channel;
    private readonly ILogger _logger;
    private readonly X509Certificate2? _clientCertificate;
    private readonly ConcurrentDictionary<string, bool> _unimplemented = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stdio = new();
    private readonly List<IDisposable> _launchGrants = [];
    private volatile bool _disposed;
    private HostBroker? _broker;

    // False for a go-plugin plugin without GrpcPlugins' lifecycle service: no Init, stopped through GRPCController.
    private bool _hasLifecycle = true;

    private PluginInstance(PluginOptions options, PluginProcess process, HandshakeLine handshake, ILogger logger, X509Certificate2? clientCertificate)
        : this(options, process, handshake, PluginChannel.Create(handshake, options, clientCertificate), logger, clientCertificate)
    {
    }

    private PluginInstance(PluginOptions options, IPluginEndpoint endpoint, HandshakeLine handshake, GrpcChannel channel, ILogger logger, X509Certificate2? clientCertificate)
    {
        _options = options;
        _process = endpoint;
        _logger = logger;
        _clientCertificate = clientCertificate;
        Handshake = handshake;
        _channel = channel;
        Invoker = _channel.Intercept(new PluginCallInterceptor(options));
    }

    /// <summary>The plugin's handshake; for a remote plugin, made up by the host, its API version agreed at GetMetadata.</summary>
    public HandshakeLine Handshake { get; private set; }

    /// <summary>The address of a remote plugin's service; null for a local process.</summary>
    public string? RemoteAddress => _process.RemoteAddress;

    public PluginMetadata Metadata { get; private set; } = new();

    public CallInvoker Invoker { get; }

    /// <summary>The services the plugin serves: those its metadata lists, or, when it lists none, those its type and configuration imply.</summary>
    public IReadOnlyList<string> Services { get; private set; } = [];

    /// <summary>The plugin's data channel for storage content; null when it offers none or the host's options turn it off.</summary>
    public string? DataChannelPath { get; private set; }

    public int ProcessId => _process.Id;

    /// <summary>The go-plugin broker of this launch; null unless the plugin runs in go-plugin mode.</summary>
    public IPluginBroker? Broker => _broker?.Session;

    public Task<int> Exited => _process.Exited;

    /// <summary>How the process's sandbox is enforced.</summary>
    public SandboxReport Sandbox => _process.Sandbox;

    /// <summary>Why the process ended (<see cref="PluginProcess.DescribeExit"/>).</summary>
    public string DescribeExit() => _process.DescribeExit();

    public string StderrTail => _process.StderrTail;

    /// <summary>False once this process answered a call of <paramref name="method"/> with UNIMPLEMENTED or NotSupported.</summary>
    public bool MayImplement(string method) => !_unimplemented.ContainsKey(method);

    /// <summary>
    /// Remembers that this process does not implement <paramref name="method"/>, so later calls go straight to
    /// <paramref name="fallback"/> instead of paying a failed call each time. A restarted (perhaps upgraded) plugin is a new
    /// instance and is asked again.
    /// </summary>
    public void MarkUnimplemented(string method, string fallback)
    {
        if (_unimplemented.TryAdd(method, true))
        {
            HostingLog.MethodUnimplemented(_logger, _options.Name, ProcessId, method, fallback);
        }
    }

    /// <summary>Launches the plugin, reads its handshake, waits for health, checks its metadata and calls Init.</summary>
    public static async Task<PluginInstance> StartAsync(
        PluginOptions options, GrpcPluginsOptions hostOptions, IReadOnlyDictionary<string, string> config, ILogger logger, CancellationToken cancellationToken)
    {
        if (options.Remote is not null)
        {
            return await StartRemoteAsync(options, hostOptions, config, logger, cancellationToken).ConfigureAwait(false);
        }

        // AutoMTLS: a new ephemeral certificate for each launch, owned by the instance for as long as its channel lives.
        var clientCertificate = PluginStartInfo.UsesAutoMtls(options) ? PluginCertificates.Create("grpcplugins-host") : null;
        ProcessStartInfo startInfo;
        try
        {
            startInfo = PluginStartInfo.Create(options, hostOptions, clientCertificate);
        }
        catch
        {
            clientCertificate?.Dispose();
            throw;
        }

        // What a launch hook grants (a callback token) lives exactly as long as this launch.
        var launchGrants = hostOptions.LaunchHooks.Select(h => h.OnLaunch(options, startInfo.Environment)).ToList();
        if (options.GoPlugin)
        {
            HostBroker.OfferCallbacks(startInfo.Environment);
        }

        SandboxLease? sandbox;
        try
        {
            sandbox = PluginSandbox.Apply(options, hostOptions, startInfo);
        }
        catch (Exception ex)
        {
            HostingLog.StartFailed(logger, options.Name, ex.Message);
            clientCertificate?.Dispose();
            launchGrants.ForEach(g => g.Dispose());
            throw;
        }

        if (sandbox is not null)
        {
            HostingLog.Sandboxed(logger, options.Name, sandbox.Report.ToString());
            if (sandbox.Report.NotEnforced.Count > 0)
            {
                HostingLog.SandboxNotEnforced(logger, options.Name, string.Join("; ", sandbox.Report.NotEnforced));
            }
        }

        HostingLog.Starting(logger, options.Name, startInfo.FileName + " " + string.Join(' ', startInfo.ArgumentList));
        var process = await PluginProcess.StartAsync(startInfo, options.Name, logger, sandbox).ConfigureAwait(false);
        PluginInstance? instance = null;
        try
        {
            using var startTimer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            startTimer.CancelAfter(options.StartTimeout);
            var handshake = await process.ReadHandshakeAsync(options.StartTimeout, cancellationToken).ConfigureAwait(false);
            if (PluginHostProtocol.CheckHandshake(handshake, clientCertificate is not null, PluginHostProtocol.AppVersions(options)) is { } mismatch)
            {
                throw process.Failure(PluginErrorCode.FailedPrecondition, mismatch);
            }

            NotifyHandshake(launchGrants, handshake, clientCertificate is not null);
            instance = new PluginInstance(options, process, handshake, logger, clientCertificate);
            instance._launchGrants.AddRange(launchGrants);
            launchGrants.Clear();
            if (options.GoPlugin && clientCertificate is null)
            {
                // Before health and Init, so that a Go plugin dialing the callbacks at start gets them within go-plugin's 5 s.
                instance._broker = HostBroker.Open(instance._channel, options.Name, startInfo.Environment, logger);
            }

            await instance.InitializeAsync(config, startTimer.Token, cancellationToken).ConfigureAwait(false);
            if (options.GoPlugin)
            {
                _ = instance.MirrorGoPluginStdioAsync();
            }

            HostingLog.Started(logger, options.Name, instance.Metadata.Version, instance.Metadata.Type.ToString(), process.Id, handshake.Network, handshake.Address, handshake.AppVersion);
            return instance;
        }
        catch (Exception ex)
        {
            HostingLog.StartFailed(logger, options.Name, ex.Message);
            instance?._broker?.Dispose();
            instance?._channel.Dispose();
            clientCertificate?.Dispose();
            await process.DisposeAsync().ConfigureAwait(false);
            launchGrants.ForEach(g => g.Dispose());
            instance?._launchGrants.ForEach(g => g.Dispose());
            throw;
        }
    }

    /// <summary>
    /// Dials a remote plugin's service (<see cref="PluginOptions.Remote"/>), waits for health, checks its metadata, agrees
    /// on an API version and calls Init, as for a process it started; no process, launch hook or sandbox is involved.
    /// </summary>
    public static async Task<PluginInstance> StartRemoteAsync(
        PluginOptions options, GrpcPluginsOptions hostOptions, IReadOnlyDictionary<string, string> config, ILogger logger, CancellationToken cancellationToken)
    {
        var remote = options.Remote!;
        var endpoint = new RemoteEndpoint(options.Name, remote.Address);
        var (channel, clientCertificate) = RemoteChannel.Create(options, hostOptions, endpoint);
        var uri = new Uri(remote.Address);
        // Until GetMetadata says which versions the service speaks: the newest this host offers.
        var handshake = new HandshakeLine(
            PluginProtocol.CoreProtocolVersion, PluginHostProtocol.AppVersions(options).Max(), HandshakeLine.TcpNetwork, $"{uri.IdnHost}:{uri.Port}", HandshakeLine.GrpcProtocol, string.Empty);
        var instance = new PluginInstance(options, endpoint, handshake, channel, logger, clientCertificate);
        HostingLog.Starting(logger, options.Name, remote.Address);
        try
        {
            using var startTimer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            startTimer.CancelAfter(options.StartTimeout);
            await instance.InitializeAsync(config, startTimer.Token, cancellationToken).ConfigureAwait(false);
            HostingLog.Started(logger, options.Name, instance.Metadata.Version, instance.Metadata.Type.ToString(), 0, "remote", remote.Address, instance.Handshake.AppVersion);
            return instance;
        }
        catch (Exception ex)
        {
            HostingLog.StartFailed(logger, options.Name, ex.Message);
            await instance.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Tells the launch hooks that observe it the accepted handshake: the plugin's AutoMTLS certificate, if any.</summary>
    private static void NotifyHandshake(List<IDisposable> launchGrants, HandshakeLine handshake, bool autoMtls)
    {
        var observers = launchGrants.OfType<IPluginHandshakeObserver>().ToList();
        if (observers.Count == 0)
        {
            return;
        }

        X509Certificate2? certificate = null;
        if (autoMtls && !PluginCertificates.TryReadHandshakeField(handshake.ServerCertificate, out certificate, out var error))
        {
            throw new InvalidOperationException($"The handshake's certificate must be checked before the launch hooks see it: {error}.");
        }

        using (certificate)
        {
            observers.ForEach(o => o.OnHandshake(certificate));
        }
    }

    /// <summary>Sends a configuration through Init, as at start.</summary>
    public Task InitAsync(IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken) =>
        InitAsync(Invoker, Handshake.AppVersion, config, cancellationToken);

    /// <summary>Sends a configuration through Init on the given invoker, for the API version the handshake chose.</summary>
    public static async Task InitAsync(CallInvoker invoker, int appVersion, IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        var init = new InitRequest { ApiVersion = PluginProtocol.ApiVersionName(appVersion) };
        foreach (var (key, value) in config)
        {
            init.Config[key] = value;
        }

        await new PluginService.PluginServiceClient(invoker).InitAsync(init, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Asks the plugin's health service once; false when it is not serving or does not answer in time.</summary>
    /// <param name="timeout">How long the check may take.</param>
    /// <param name="cancellationToken">Abandons the check.</param>
    /// <param name="throwOnCertificateRejection">Throw, rather than answer false, when AutoMTLS refused the plugin's certificate: that never heals.</param>
    /// <param name="throwOnTlsFailure">Throw, rather than answer false, when a remote plugin's TLS handshake failed: a certificate refused on either side.</param>
    public async Task<bool> IsHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken, bool throwOnCertificateRejection = false, bool throwOnTlsFailure = false)
    {
        try
        {
            var reply = await new Health.HealthClient(_channel).CheckAsync(
                new HealthCheckRequest { Service = PluginProtocol.HealthServiceName },
                deadline: DateTime.UtcNow + timeout,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving;
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested && !(throwOnCertificateRejection && PluginChannel.IsCertificateRejection(ex))
            && !(throwOnTlsFailure && _process is RemoteEndpoint remote && RemoteStart.IsTlsFailure(ex, remote)))
        {
            return false;
        }
    }

    /// <summary>Kills the process at once, as for a plugin that no longer answers.</summary>
    public void Kill() => _process.Kill();

    /// <summary>Stops the plugin: Shutdown, then up to the grace period for it to exit, then a kill.</summary>
    public async Task StopAsync(bool askFirst, CancellationToken cancellationToken)
    {
        HostingLog.Stopping(_logger, _options.Name, ProcessId);
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        grace.CancelAfter(_options.ShutdownGracePeriod);
        // A remote plugin's service serves other hosts too: it is disconnected from, never shut down.
        if (askFirst && !_process.Exited.IsCompleted && _process.RemoteAddress is null)
        {
            try
            {
                if (_hasLifecycle)
                {
                    await new PluginService.PluginServiceClient(_channel)
                        .ShutdownAsync(new ShutdownRequest { Reason = "the host is stopping the plugin" }, cancellationToken: grace.Token)
                        .ConfigureAwait(false);
                }
                else
                {
                    // go-plugin's own way to stop a plugin, as its Kill() does; a go-plugin plugin does not watch its stdin.
                    await new GoPlugin.GRPCController.GRPCControllerClient(_channel)
                        .ShutdownAsync(new GoPlugin.Empty(), cancellationToken: grace.Token)
                        .ConfigureAwait(false);
                }
            }
            catch (RpcException ex)
            {
                HostingLog.ShutdownCallFailed(_logger, _options.Name, ex.Status.Detail);
            }
        }

        _process.CloseStdin();
        if (await Task.WhenAny(_process.Exited, Task.Delay(Timeout.Infinite, grace.Token).ContinueWith(_ => { }, TaskScheduler.Default)).ConfigureAwait(false) != _process.Exited)
        {
            HostingLog.Killing(_logger, _options.Name, _options.ShutdownGracePeriod, ProcessId);
        }

        await DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        _stdio.Cancel();
        _broker?.Dispose();
        await _process.DisposeAsync().ConfigureAwait(false);
        _channel.Dispose();
        _clientCertificate?.Dispose();
        lock (_launchGrants)
        {
            _launchGrants.ForEach(g => g.Dispose());
            _launchGrants.Clear();
        }

        // _stdio is not disposed: DisposeAsync may run twice (a stop, then the client's dispose), and a
        // CancellationTokenSource without a timer holds nothing to release.
    }

    public PluginException Failure(PluginErrorCode code, string what) => _process.Failure(code, what);

    /// <summary>Turns a failed call into a <see cref="PluginException"/>, saying so when the plugin died during it.</summary>
    public async Task<PluginException> TranslateAsync(RpcException exception)
    {
        if (_process.RemoteAddress is { } address && exception.StatusCode is StatusCode.Unavailable && PluginErrors.TryGetRpcStatus(exception) is null)
        {
            // No process to watch: say where it could not be reached, and that the host reconnects by itself.
            return _process.Failure(PluginErrorCode.Unavailable, $"could not be reached at {address} ({RemoteStart.Describe(exception)}). Calls fail until the plugin service answers health checks again; the host reconnects by itself.");
        }

        if (exception.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown or StatusCode.Cancelled && PluginErrors.TryGetRpcStatus(exception) is null)
        {
            // A transport error is often the plugin dying; give its exit a moment to be seen so the error says so.
            await Task.WhenAny(_process.Exited, Task.Delay(TimeSpan.FromMilliseconds(250))).ConfigureAwait(false);
            if (_process.Exited.IsCompleted)
            {
                return ExitedDuringCall();
            }
        }

        return PluginReplies.Oversize(exception, _options) ?? PluginErrors.FromRpcException(exception, _options.Name);
    }

    /// <summary>
    /// Turns a failure met while reading a stream of this instance into what the reader should see: a failed call as
    /// <see cref="TranslateAsync(RpcException)"/> does, and a call that was disposed under the reader because this
    /// instance was torn down (the plugin crashed and was restarted, or was stopped) as Unavailable; anything else as it is.
    /// </summary>
    public async Task<Exception> TranslateStreamFailureAsync(Exception exception) => exception switch
    {
        RpcException rpc => await TranslateAsync(rpc).ConfigureAwait(false),
        ObjectDisposedException when _disposed => _process.Exited.IsCompleted
            ? ExitedDuringCall()
            : _process.Failure(PluginErrorCode.Unavailable, "was stopped during the call."),
        _ => exception,
    };

    // go-plugin 1.3 and later send what the plugin writes to os.Stdout and os.Stderr through plugin.GRPCStdio, not the
    // pipes; 1.0 serves no such service (Unimplemented), and then its pipes are all there is.
    private async Task MirrorGoPluginStdioAsync()
    {
        var log = new PluginLogLine(_logger, _options.Name, ProcessId);
        var partial = new System.Text.StringBuilder();
        try
        {
            using var call = new GoPlugin.GRPCStdio.GRPCStdioClient(_channel).StreamStdio(new Google.Protobuf.WellKnownTypes.Empty(), cancellationToken: _stdio.Token);
            while (await call.ResponseStream.MoveNext(_stdio.Token).ConfigureAwait(false))
            {
                partial.Append(call.ResponseStream.Current.Data.ToStringUtf8());
                var text = partial.ToString();
                var end = text.LastIndexOf('\n');
                if (end < 0)
                {
                    continue;
                }

                foreach (var line in text[..end].Split('\n'))
                {
                    log.Forward(line.TrimEnd('\r'));
                }

                partial.Clear().Append(text[(end + 1)..]);
            }
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException or ObjectDisposedException)
        {
            // Not served (go-plugin 1.0), or the plugin is stopping.
        }
        finally
        {
            if (partial.Length > 0)
            {
                log.Forward(partial.ToString());
            }

            log.Flush();
        }
    }

    private PluginException ExitedDuringCall() =>
        _process.Failure(PluginErrorCode.Unavailable, $"{_process.DescribeExit()} during the call.");

    private async Task InitializeAsync(IReadOnlyDictionary<string, string> config, CancellationToken startToken, CancellationToken callerToken)
    {
        try
        {
            var lifecycle = new PluginService.PluginServiceClient(Invoker);

            // Health and metadata in one exchange: GetMetadata goes out beside the first health check, on the same new
            // connection, rather than a round trip later. Its answer counts only if that first check said SERVING;
            // otherwise (or if it failed) the host asks again once the plugin is healthy, as the protocol orders it.
            // A go-plugin plugin may serve no lifecycle at all, so it is asked in order.
            using var early = _options.GoPlugin ? null : lifecycle.GetMetadataAsync(new GetMetadataRequest(), cancellationToken: startToken);
            var earlyAnswer = early is null ? null : AnswerOrNullAsync(early.ResponseAsync);
            var servingAtOnce = await WaitForHealthAsync(startToken).ConfigureAwait(false);
            PluginMetadata? metadata;
            try
            {
                metadata = (servingAtOnce && earlyAnswer is not null ? await earlyAnswer.ConfigureAwait(false) : null)?.Metadata
                    ?? (await lifecycle.GetMetadataAsync(new GetMetadataRequest(), cancellationToken: startToken).ConfigureAwait(false)).Metadata;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented && _options.GoPlugin)
            {
                // A go-plugin plugin serves only its own services: its type is what the configuration says, and it gets no Init.
                _hasLifecycle = false;
                Metadata = new PluginMetadata
                {
                    Name = _options.Name,
                    Version = "unknown",
                    Type = _options.Type,
                    ApiVersions = { PluginProtocol.ApiVersionName(Handshake.AppVersion) },
                };
                return;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented)
            {
                throw _process.Failure(
                    PluginErrorCode.FailedPrecondition,
                    $"does not serve {PluginProtocol.LifecycleServiceName} ({ex.Status.Detail}). A HashiCorp go-plugin plugin needs the plugin's GoPlugin option set to true (and its MagicCookieKey, MagicCookieValue and ProtocolVersions set to the application's HandshakeConfig); a GrpcPlugins plugin must be built on the SDK's PluginServer.RunAsync.");
            }

            Metadata = metadata ?? throw _process.Failure(PluginErrorCode.Internal, "answered GetMetadata without metadata.");
            if (_process.RemoteAddress is not null)
            {
                // No handshake chose the version: the newest both sides speak.
                Handshake = Handshake with { AppVersion = RemoteStart.AgreeAppVersion(metadata, _options, _process) };
            }

            if (CheckServices(metadata) is { } serviceProblem)
            {
                throw _process.Failure(PluginErrorCode.FailedPrecondition, serviceProblem);
            }

            if (PluginHostProtocol.CheckApiVersions(metadata.ApiVersions, Handshake.AppVersion) is { } versionProblem)
            {
                throw _process.Failure(PluginErrorCode.FailedPrecondition, versionProblem);
            }

            DataChannelPath = CheckDataChannel(metadata.DataChannel);
            await InitAsync(config, startToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException && startToken.IsCancellationRequested && !callerToken.IsCancellationRequested)
        {
            var detail = ex is RpcException rpc ? $" ({rpc.Status.Detail})" : string.Empty;
            throw _process.Failure(PluginErrorCode.Timeout, $"did not become healthy and initialized within {_options.StartTimeout.TotalSeconds:0.#} s{detail}.");
        }
        catch (RpcException ex) when (_process is RemoteEndpoint remote && RemoteStart.Refusal(ex, remote, _options) is { } refusal)
        {
            throw refusal;
        }
        catch (RpcException ex) when (PluginChannel.IsCertificateRejection(ex))
        {
            throw _process.Failure(
                PluginErrorCode.FailedPrecondition,
                $"answered on {Handshake.Address} with a TLS certificate other than the one in its handshake, so the host refused the connection (AutoMTLS pins it). Another process may be listening on that address, or the plugin is broken; check what listens there, or rebuild the plugin with a current SDK.");
        }
        catch (RpcException ex)
        {
            var error = await TranslateAsync(ex).ConfigureAwait(false);
            throw _process.Failure(error.Code, $"failed to start: {error.Message}");
        }
    }

    /// <summary>
    /// Connects to the plugin's data channel and sends a new token, for one Store or Retrieve. Null when the plugin has no
    /// data channel, or it cannot be reached (logged): the call then sends its content as gRPC chunk messages.
    /// </summary>
    public async Task<DataChannelConnection?> ConnectDataChannelAsync(CancellationToken cancellationToken)
    {
        if (DataChannelPath is not { } path)
        {
            return null;
        }

        try
        {
            return await DataChannelConnection.ConnectAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            HostingLog.DataChannelUnreachable(_logger, _options.Name, path, ex.Message);
            return null;
        }
    }

    // The host only connects where it already trusts: beside the gRPC socket, in the private folder the handshake named.
    private string? CheckDataChannel(string path)
    {
        if (string.IsNullOrEmpty(path) || !_options.DataChannel || _process.RemoteAddress is not null)
        {
            return null;
        }

        if (Handshake.Network != HandshakeLine.UnixNetwork || _clientCertificate is not null)
        {
            throw _process.Failure(
                PluginErrorCode.FailedPrecondition,
                $"named a data channel ({path}) while it serves over {(_clientCertificate is null ? "TCP" : "AutoMTLS")}, where content must go through the gRPC connection. The plugin is broken; rebuild it with a current SDK.");
        }

        if (!Path.IsPathFullyQualified(path) || Path.GetDirectoryName(path) != Path.GetDirectoryName(Handshake.Address) || path == Handshake.Address)
        {
            throw _process.Failure(
                PluginErrorCode.FailedPrecondition,
                $"named a data channel ({path}) outside the folder of its gRPC socket ({Handshake.Address}); the host only connects inside that folder. The plugin is broken; rebuild it with a current SDK.");
        }

        return path;
    }

    // The early GetMetadata's answer, or null when it failed (the host then asks again in order); never throws.
    private static async Task<GetMetadataResponse?> AnswerOrNullAsync(Task<GetMetadataResponse> answer)
    {
        try
        {
            return await answer.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException)
        {
            return null;
        }
    }

    // True when the first check already said SERVING.
    private async Task<bool> WaitForHealthAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(10);
        // A plugin not listening yet fails a check at once; one that is listening but slow to answer its first call (its
        // .NET code still being compiled on a starved CPU) gets twice as long each time. A fixed short deadline would
        // cancel every check of such a plugin, and each cancelled call costs it more of the CPU it lacks, so it would
        // never pass within StartTimeout; the deadline that bounds the whole wait is the caller's (StartTimeout).
        var attempt = TimeSpan.FromSeconds(2);
        for (var first = true; ; first = false)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.Exited.IsCompleted)
            {
                throw _process.Failure(PluginErrorCode.Unavailable, $"{_process.DescribeExit()} before it became healthy.");
            }

            if (await IsHealthyAsync(attempt, cancellationToken, throwOnCertificateRejection: true, throwOnTlsFailure: _process.RemoteAddress is not null).ConfigureAwait(false))
            {
                return first;
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 200));
            attempt = TimeSpan.FromSeconds(Math.Min(attempt.TotalSeconds * 2, 30));
        }
    }

    internal static string Describe(PluginType type) => type.ToString().ToLowerInvariant();

    // A built-in type must match; beyond it, every required service must be listed. A plugin that lists no services
    // (built before they were reported, or in another language) is taken at its type's word for that type's service.
    private string? CheckServices(PluginMetadata metadata)
    {
        var expected = _options.EffectiveType;
        if (expected != PluginType.Custom && metadata.Type != expected)
        {
            return $"is a {Describe(metadata.Type)} plugin, but it is configured as {Describe(expected)}. Fix the plugin's Type or Command.";
        }

        var required = _options.RequiredServices(Handshake.AppVersion);
        if (metadata.Services.Count == 0)
        {
            Services = required;
            var unverifiable = required.Where(s => s != ServiceNames.Of(metadata.Type, Handshake.AppVersion)).ToList();
            return unverifiable.Count == 0
                ? null
                : $"must serve {string.Join(", ", unverifiable)}, but its metadata lists no services, so the host cannot tell that it does. Rebuild the plugin with a current SDK (PluginBuilder.AddService), or have it list its services in PluginMetadata.services.";
        }

        Services = [.. metadata.Services];
        var missing = required.Where(s => !metadata.Services.Contains(s)).ToList();
        return missing.Count == 0
            ? null
            : $"does not serve {string.Join(", ", missing)}, which its configuration requires; it serves {string.Join(", ", metadata.Services)}. Fix the plugin's Services (or Type), or its Command.";
    }
}
