using Grpc.Core;
using GrpcPlugins.Plugin.V1;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// Keeps one plugin serving: watches its instance (<see cref="PluginWatch"/>) and, when it goes down, starts a new one
/// after the backoff of its <see cref="RestartHistory"/>, or marks it crashed once it keeps crashing. Also the
/// operator's restart, which clears that history. Every change goes through the plugin's <see cref="SupervisionState"/>.
/// </summary>
internal sealed class PluginSupervisor(PluginOptions options, GrpcPluginsOptions hostOptions, ILogger logger, SupervisionState status)
{
    private readonly RestartHistory _restarts = new(options, TimeProvider.System, Random.Shared);
    private CancellationTokenSource _supervision = new();
    private Task _supervisor = Task.CompletedTask;
    private bool _stopped;

    /// <summary>The configuration every new instance starts with: the latest one the plugin accepted.</summary>
    public IReadOnlyDictionary<string, string> Config { get; set; } = new Dictionary<string, string>(options.Config);

    /// <summary>Restarts within the restart window, for the message of a call refused while the plugin is crashed.</summary>
    public int RestartsInWindow => _restarts.InWindow;

    /// <summary>Starts watching the current instance, restarting it whenever it goes down.</summary>
    public void Start()
    {
        _supervision = new CancellationTokenSource();
        _stopped = false;
        var token = _supervision.Token;
        _supervisor = Task.Run(() => SuperviseAsync(token), CancellationToken.None);
    }

    /// <summary>Stops watching, and abandons a restart under way; the instance itself is left as it is.</summary>
    public async Task StopAsync()
    {
        // A restart that failed left supervision stopped: the rollback's restart, or a later stop, finds nothing to stop.
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _supervision.CancelAsync().ConfigureAwait(false);
        await _supervisor.ConfigureAwait(false);
        _supervision.Dispose();
    }

    /// <summary>
    /// An operator's restart: supervision stops, the instance is stopped (gracefully if it was running), the restart
    /// history is forgotten, and a fresh instance starts and is supervised. One that fails to start leaves the plugin
    /// crashed with the reason, and unsupervised.
    /// </summary>
    public async Task RestartNowAsync(CancellationToken cancellationToken)
    {
        await StopAsync().ConfigureAwait(false);
        var wasRunning = status.Current == PluginState.Running;
        status.MoveTo(PluginState.Starting);
        await status.Instance.StopAsync(askFirst: wasRunning, cancellationToken).ConfigureAwait(false);
        _restarts.Clear();
        PluginInstance next;
        try
        {
            next = await LaunchAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            status.LastError = ex.Message;
            status.MoveTo(PluginState.Crashed);
            throw;
        }

        Restarted(next, "operator");
        Start();
    }

    private Task<PluginInstance> LaunchAsync(CancellationToken cancellationToken) =>
        PluginInstance.StartAsync(options, hostOptions, Config, logger, cancellationToken);

    // Makes a freshly started instance the current one and counts the restart.
    private int Restarted(PluginInstance instance, string reason)
    {
        status.Instance = instance;
        var count = status.CountRestart();
        HostingTelemetry.RecordRestart(options.Name, reason);
        status.MoveTo(PluginState.Running);
        return count;
    }

    private async Task SuperviseAsync(CancellationToken stopping)
    {
        try
        {
            while (true)
            {
                var instance = status.Instance;
                var why = await PluginWatch.UntilDownAsync(instance, options, logger, stopping).ConfigureAwait(false);
                status.LastError = instance.Failure(PluginErrorCode.Unavailable, why).Message;
                HostingLog.Exited(logger, options.Name, instance.Exited.IsCompleted ? instance.Exited.Result : -1);
                await instance.DisposeAsync().ConfigureAwait(false);
                if (!await RestartWithBackoffAsync(stopping).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (stopping.IsCancellationRequested && ex is OperationCanceledException or RpcException)
        {
            // Stopped or restarted on purpose; a health check in flight then ends as a cancelled call, not as an
            // OperationCanceledException, or as a failed one when the plugin went away at the same moment.
        }
    }

    private async Task<bool> RestartWithBackoffAsync(CancellationToken stopping)
    {
        while (true)
        {
            if (_restarts.NextDelay() is not { } delay)
            {
                HostingLog.GaveUp(logger, options.Name, _restarts.InWindow, options.RestartWindow, status.LastError ?? string.Empty);
                status.MoveTo(PluginState.Crashed);
                return false;
            }

            status.MoveTo(PluginState.Starting);
            HostingLog.Restarting(logger, options.Name, FirstLine(status.LastError), _restarts.InWindow, options.MaxRestarts, options.RestartWindow, delay);
            await Task.Delay(delay, stopping).ConfigureAwait(false);
            PluginInstance next;
            try
            {
                next = await LaunchAsync(stopping).ConfigureAwait(false);
            }
            catch (PluginException ex)
            {
                status.LastError = ex.Message;
                continue;
            }

            var count = Restarted(next, "crash");
            HostingLog.Restarted(logger, options.Name, next.ProcessId, count);
            return true;
        }
    }

    private static string FirstLine(string? text) => text is null ? string.Empty : text.Split('\n')[0].TrimEnd();
}
