using FileTransfer.Host.Auth;
using GrpcPlugins;
using FileTransfer.Host.Transfers;

namespace FileTransfer.Host.Cluster;

/// <summary>
/// Once the host has started, on a node of a cluster, prints the generated first admin password if this node's was the
/// one kept (<see cref="FirstRunAdmin.ConfirmAsync"/>): nodes that start together each offer one, and only the
/// cluster's first admin is created.
/// </summary>
/// <param name="firstRun">The first-run admin of this host.</param>
/// <param name="plugins">Gives the auth plugin.</param>
/// <param name="lifetime">Tells when the host has started.</param>
/// <param name="logger">Where a failed check is logged.</param>
public sealed partial class FirstRunConfirmation(FirstRunAdmin firstRun, PluginSelector plugins, IHostApplicationLifetime lifetime, ILogger<FirstRunConfirmation> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (!await firstRun.ConfirmAsync(plugins.Auth, stoppingToken) && firstRun.GeneratedPassword)
                {
                    LogCreatedElsewhere(logger);
                }

                return;
            }
            catch (PluginException ex) when (ex.Code is PluginErrorCode.Unavailable or PluginErrorCode.FailedPrecondition && attempt < Attempts)
            {
                // The auth plugin may still be starting, or the database restarting: ask again shortly.
                await Task.Delay(Pause, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogCheckFailed(logger, ex.Message);
                return;
            }
        }
    }

    // Five minutes of asking, longer than plugins take to start on a loaded machine.
    private const int Attempts = 300;
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(1);

    [LoggerMessage(2, LogLevel.Information, "The cluster's first admin was created by another node (or on an earlier run), which printed its password; this node's generated password was not used")]
    private static partial void LogCreatedElsewhere(ILogger logger);

    [LoggerMessage(1, LogLevel.Warning, "Could not check whether this node created the cluster's first admin ({Error}); if no node printed its password, set one with 'UsersFileAuth add-user --connection-string ...'")]
    private static partial void LogCheckFailed(ILogger logger, string error);
}
