using System.Threading.RateLimiting;
using Grpc.Core;
using GrpcPlugins.Plugin.V1;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// Takes a plugin's calls to the instance that serves them: through the bulkhead (calls in flight, then a queue),
/// to the running instance, failing fast while it is down or waiting for it when the call is idempotent, and, once the
/// plugin is replaced, to its successor, while counting the calls still in flight here so that they can drain.
/// </summary>
internal sealed class CallRouter : IDisposable
{
    private readonly PluginOptions _options;
    private readonly ILogger _logger;
    private readonly SupervisionState _status;
    private readonly PluginSupervisor _supervisor;
    private readonly ConcurrencyLimiter _bulkhead;
    private PluginClient? _successor;
    private int _inFlight;

    public CallRouter(PluginOptions options, ILogger logger, SupervisionState status, PluginSupervisor supervisor)
    {
        _options = options;
        _logger = logger;
        _status = status;
        _supervisor = supervisor;
        _bulkhead = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = options.MaxConcurrentCalls,
            QueueLimit = options.MaxQueuedCalls,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    private string Name => _options.Name;

    /// <summary>
    /// Runs one call through the bulkhead, turning every failure into a <see cref="PluginException"/>. A plugin that is
    /// not running fails the call at once with <see cref="PluginErrorCode.Unavailable"/>. An idempotent call (named by
    /// <paramref name="idempotentMethod"/>) instead waits for a restarting plugin, and is tried again if the plugin dies
    /// under it, within the method's deadline. Once the plugin has a successor, calls go there.
    /// </summary>
    public async Task<T> CallAsync<T>(
        Func<PluginInstance, CancellationToken, Task<T>> call, CancellationToken cancellationToken, string? idempotentMethod)
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
            using var budget = idempotentMethod is null ? null : new CallBudget(_options.TimeoutOf(idempotentMethod) ?? _options.CallTimeout, cancellationToken);
            lease = await EnterAsync(cancellationToken).ConfigureAwait(false);

            while (true)
            {
                // A call that has not reached the plugin yet (it queued in the bulkhead, or waits to be retried) goes
                // to the successor once there is one, rather than to a plugin about to stop.
                if (await ReadyInstanceAsync(budget, cancellationToken).ConfigureAwait(false) is not { } instance)
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
                    var pluginWentAway = error.Code == PluginErrorCode.Unavailable && (instance.Exited.IsCompleted || instance != _status.Instance);
                    if (budget is null || !pluginWentAway || budget.IsSpent)
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
    /// Sends every new call to <paramref name="successor"/>. The registry calls it in the same step that lists the
    /// successor, so that no call made after the switch reaches this plugin.
    /// </summary>
    public void HandOver(PluginClient successor)
    {
        Interlocked.Exchange(ref _successor, successor);

        // Calls waiting for this plugin to come back wake up and go to the successor.
        _status.MoveTo(null);
    }

    /// <summary>Waits, for up to <see cref="PluginOptions.DrainTimeout"/>, until no call is in flight here (downloads until they are disposed).</summary>
    public async Task DrainAsync()
    {
        var inFlight = Volatile.Read(ref _inFlight);
        if (inFlight == 0)
        {
            return;
        }

        HostingLog.Draining(_logger, Name, _status.Instance.ProcessId, inFlight, _options.DrainTimeout);
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

    /// <summary>The running instance (the successor's, once there is one), for calls outside the bulkhead; fails fast when it is not running.</summary>
    public PluginInstance RunningInstance()
    {
        if (Volatile.Read(ref _successor) is { } successor)
        {
            return successor.RunningInstance();
        }

        var state = _status.Current;
        return state == PluginState.Running ? _status.Instance : throw NotRunning(state);
    }

    /// <inheritdoc />
    public void Dispose() => _bulkhead.Dispose();

    private void LeaveCall() => Interlocked.Decrement(ref _inFlight);

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

    // The instance to call, or null once the plugin has a successor to call instead. Only a call with a budget waits for a restart.
    private async Task<PluginInstance?> ReadyInstanceAsync(CallBudget? budget, CancellationToken callerToken)
    {
        while (true)
        {
            var changed = _status.Changed;
            if (Volatile.Read(ref _successor) is not null)
            {
                return null;
            }

            var state = _status.Current;
            if (state == PluginState.Running)
            {
                return _status.Instance;
            }

            if (budget is null || state != PluginState.Starting)
            {
                throw NotRunning(state);
            }

            try
            {
                await changed.WaitAsync(budget.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!callerToken.IsCancellationRequested)
            {
                throw _status.Instance.Failure(PluginErrorCode.Unavailable, "is restarting and did not come back within the call's deadline.");
            }
        }
    }

    private PluginException NotRunning(PluginState state)
    {
        var lastError = _status.LastError;
        var instance = _status.Instance;
        var why = state switch
        {
            PluginState.Starting => $"is restarting after it went down ({lastError ?? "exited"}); try again shortly.",
            PluginState.Crashed => $"is not running: {(_options.RestartOnCrash ? $"it went down {_supervisor.RestartsInWindow + 1} times within {_options.RestartWindow}" : "it went down and RestartOnCrash is off")}, so it stays down until an operator restarts it. Last error: {lastError ?? $"it exited with code {(instance.Exited.IsCompleted ? instance.Exited.Result : -1)}."}",
            PluginState.Stopping or PluginState.Stopped => "is stopping or stopped, and takes no new calls.",
            _ => $"is not running (state {state}).",
        };
        return state == PluginState.Crashed && lastError is not null
            ? new PluginException(PluginErrorCode.Unavailable, $"Plugin '{Name}' {why}") { ErrorSource = PluginErrorSource.Plugin, PluginName = Name }
            : instance.Failure(PluginErrorCode.Unavailable, why);
    }

    /// <summary>A call's bulkhead slot and its place among the calls in flight, given back together.</summary>
    private sealed class CallSlot(CallRouter owner, RateLimitLease lease) : IDisposable
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
}
