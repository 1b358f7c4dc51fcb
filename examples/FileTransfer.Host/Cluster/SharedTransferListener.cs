using FileTransfer.Host.Http;
using FileTransfer.Host.Transfers;
using GrpcPlugins;
using Npgsql;

namespace FileTransfer.Host.Cluster;

/// <summary>
/// Listens, on one dedicated PostgreSQL connection, to what other nodes announce about transfers (LISTEN, Npgsql's
/// <c>WaitAsync</c>): a cancel or a resume asked of this node (<see cref="SharedTransfers.CancelChannel"/>,
/// <see cref="SharedTransfers.ResumeChannel"/>) is carried out through its protocol plugin at once (a resume that fails
/// is recorded for the asking node to answer with), and a change of any transfer (<see cref="SharedTransfers.ChangedChannel"/>) wakes this
/// node's watchers of it (server-sent events of another node's transfer). Every
/// <see cref="ReconcileInterval"/>, and after each reconnect, it also reads the cancels and resumes asked of this node and wakes
/// every watcher, so a notification lost while the connection was down (a database restart) is healed.
/// </summary>
/// <param name="shared">The shared transfer records.</param>
/// <param name="tracker">This node's transfers.</param>
/// <param name="logger">Where failures are logged.</param>
public sealed partial class SharedTransferListener(SharedTransfers shared, TransferTracker tracker, ILogger<SharedTransferListener> logger) : BackgroundService
{
    /// <summary>How often the cancels asked of this node are read even without a notification.</summary>
    public static readonly TimeSpan ReconcileInterval = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan ReconnectPause = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogListenFailed(logger, ex.Message);
                await Task.Delay(ReconnectPause, stoppingToken);
            }
        }
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        await shared.EnsureTableAsync(stoppingToken);
        await using var connection = await shared.DataSource.OpenConnectionAsync(stoppingToken);
        var asked = false;
        connection.Notification += (_, e) =>
        {
            if (e.Channel == SharedTransfers.ChangedChannel)
            {
                shared.Notified(e.Payload);
            }
            else if (e.Channel is SharedTransfers.CancelChannel or SharedTransfers.ResumeChannel && e.Payload == shared.Node)
            {
                asked = true;
            }
        };
        await using (var listen = new NpgsqlCommand($"LISTEN {SharedTransfers.ChangedChannel}; LISTEN {SharedTransfers.CancelChannel}; LISTEN {SharedTransfers.ResumeChannel}", connection))
        {
            await listen.ExecuteNonQueryAsync(stoppingToken);
        }

        // What happened while this node was not listening.
        shared.NotifiedAll();
        await CarryOutRequestsAsync(stoppingToken);
        while (true)
        {
            var notified = await connection.WaitAsync(ReconcileInterval, stoppingToken);
            if (!notified)
            {
                shared.NotifiedAll();
            }

            if (!notified || asked)
            {
                asked = false;
                await CarryOutRequestsAsync(stoppingToken);
            }
        }
    }

    private async Task CarryOutRequestsAsync(CancellationToken stoppingToken)
    {
        await CarryOutCancelsAsync(stoppingToken);
        await CarryOutResumesAsync(stoppingToken);
    }

    // A resume of a transfer this node holds is carried out here; one it does not hold (it restarted since) is left for
    // the asking node, which takes the transfer over when nobody takes the request.
    private async Task CarryOutResumesAsync(CancellationToken stoppingToken)
    {
        foreach (var id in (await shared.ResumesAskedAsync(stoppingToken)).Where(tracker.Runs))
        {
            if (await shared.TakeResumeAsync(id, stoppingToken) is { } request)
            {
                LogResuming(logger, id);
                InBackground(() => ResumeAsync(id, request, stoppingToken));
            }
        }
    }

    private async Task ResumeAsync(string id, TransferResumeRequest request, CancellationToken stoppingToken)
    {
        try
        {
            await tracker.ResumeHereAsync(id, request.DestinationToken, viewer: null, request.SourceToken, stoppingToken);
        }
        catch (Exception ex) when (ex is ApiException or PluginException)
        {
            LogResumeFailed(logger, id, ex.Message);
            var failure = ex is ApiException api
                ? new TransferResumeFailure(api.Status, api.Code, api.Message)
                : new TransferResumeFailure(ApiErrors.StatusFor(((PluginException)ex).Code), ApiErrors.CodeName(((PluginException)ex).Code), ex.Message);
            await shared.FailResumeAsync(id, failure, stoppingToken);
        }
    }

    private async Task CarryOutCancelsAsync(CancellationToken stoppingToken)
    {
        foreach (var id in await shared.TakeCancelRequestsAsync(stoppingToken))
        {
            InBackground(() => tracker.CancelAsync(id, viewer: null, stoppingToken));
        }
    }

    // Taken requests run beside the listener: a plugin call that takes long (a cancel waits for the transfer's attempt
    // to end) must not hold up the notifications and requests that follow. A failure is logged: for a cancel, the
    // transfer has usually ended already, and its record shows how.
    private void InBackground(Func<Task> work) => _ = Task.Run(async () =>
    {
        try
        {
            await work();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRequestFailed(logger, ex.Message);
        }
    });

    [LoggerMessage(1, LogLevel.Warning, "A cancel or resume asked by another node failed: {Error}")]
    private static partial void LogRequestFailed(ILogger logger, string error);

    [LoggerMessage(4, LogLevel.Information, "Resuming transfer {TransferId}, as another node asked")]
    private static partial void LogResuming(ILogger logger, string transferId);

    [LoggerMessage(3, LogLevel.Warning, "A resume asked by another node for transfer {TransferId} failed: {Error}")]
    private static partial void LogResumeFailed(ILogger logger, string transferId, string error);

    [LoggerMessage(2, LogLevel.Warning, "Lost the shared database's notifications ({Error}); listening again in a second, and catching up on what was missed")]
    private static partial void LogListenFailed(ILogger logger, string error);
}
