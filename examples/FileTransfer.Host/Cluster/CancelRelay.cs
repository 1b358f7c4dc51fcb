using FileTransfer.Host.Transfers;

namespace FileTransfer.Host.Cluster;

/// <summary>
/// Carries out, on this node, the cancels other nodes asked for through <see cref="SharedTransfers"/>: every half
/// second it takes the requests for transfers this node runs and cancels them through its protocol plugin.
/// </summary>
/// <param name="shared">The shared transfer records.</param>
/// <param name="tracker">This node's transfers.</param>
/// <param name="logger">Where failures are logged.</param>
public sealed partial class CancelRelay(SharedTransfers shared, TransferTracker tracker, ILogger<CancelRelay> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                foreach (var id in await shared.TakeCancelRequestsAsync(stoppingToken))
                {
                    try
                    {
                        await tracker.CancelAsync(id, stoppingToken);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // Already ended, for one: the record shows how it ended.
                        LogCancelFailed(logger, id, ex.Message);
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPollFailed(logger, ex.Message);
            }
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "A cancel asked by another node for transfer {TransferId} failed: {Error}")]
    private static partial void LogCancelFailed(ILogger logger, string transferId, string error);

    [LoggerMessage(2, LogLevel.Warning, "Could not read the cancels other nodes asked for (the shared database): {Error}; retrying")]
    private static partial void LogPollFailed(ILogger logger, string error);
}
