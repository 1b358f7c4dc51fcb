using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using FileTransfer.Host.Cluster;
using FileTransfer.Host.Http;
using FileTransfer.Host.Telemetry;
using GrpcPlugins;
using GrpcPlugins.Hosting;
using GrpcPlugins.Protocol.V1;
using Microsoft.Extensions.Options;

namespace FileTransfer.Host.Transfers;

/// <summary>
/// Starts transfers through protocol plugins, remembers which plugin runs each one, and follows each transfer to
/// send its events to the monitors. With <see cref="SharedTransfers"/> (nodes on one PostgreSQL database), each state
/// it sees is also written there, so every node lists this node's transfers, and one this node does not run is
/// answered from there, and cancelled and resumed through the node that runs it (or, for a resume, taken over when that
/// node is down). Each transfer belongs to the user who started it: the methods that take a <c>viewer</c> (the asking
/// user's id, or null for an admin) show a user only their own, and answer another user's id as if it did not exist, as
/// files are answered.
/// </summary>
public sealed partial class TransferTracker(PluginSelector plugins, MonitorQueue monitors, IOptions<FileTransferOptions> options, ILogger<TransferTracker> logger, SharedTransfers? shared = null)
{
    private static readonly TimeSpan RemoteCancelWait = TimeSpan.FromSeconds(20);
    private readonly ConcurrentDictionary<string, TransferRecord> _transfers = new();
    private readonly Channel<(TransferDto Transfer, string Protocol)> _published = Channel.CreateUnbounded<(TransferDto, string)>(new UnboundedChannelOptions { SingleReader = true });
    private int _publishing;

    /// <summary>Starts sending a stored file.</summary>
    /// <param name="request">The file, destination and protocol.</param>
    /// <param name="owner">The id of the user who starts it, who owns it.</param>
    /// <param name="callerToken">The caller's token on this host, with which the protocol plugin reads the file.</param>
    /// <param name="requestBase">This host's address as the caller reached it; <see cref="FileTransferOptions.PublicUrl"/> wins when set.</param>
    /// <param name="ct">Cancels the start.</param>
    /// <returns>The started transfer.</returns>
    public async Task<TransferDto> StartAsync(TransferRequest request, string owner, string? callerToken, string requestBase, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.FileId) || string.IsNullOrEmpty(request.Destination))
        {
            throw ApiErrors.BadRequest("Send {\"fileId\": \"...\", \"destination\": \"http://other-host:5080\"} (protocol and destinationToken are optional).");
        }

        return await SendAsync(request, Guid.NewGuid().ToString("N"), owner, callerToken, requestBase, ct);
    }

    // A send through the protocol plugin, followed in the background: a new transfer, or one taken over from a node that is gone.
    private async Task<TransferDto> SendAsync(TransferRequest request, string id, string owner, string? callerToken, string requestBase, CancellationToken ct)
    {
        var (protocolName, protocol) = plugins.Protocol(request.Protocol);
        var file = await plugins.Storage.StatAsync(request.FileId!, ct);

        var send = new SendRequest
        {
            File = $"{PublicBase(requestBase)}/v1/files/{Uri.EscapeDataString(request.FileId!)}",
            Destination = request.Destination!,
            TransferId = id,
            Options = new TransferOptions(),
        };
        var properties = send.Options.Properties;
        // A plugin granted files.read reads the file through host callbacks: it gets the file's id, not the user's token.
        if (plugins.ReadsFilesThroughHost(protocolName))
        {
            properties["file_id"] = request.FileId!;
        }
        else
        {
            properties["source_token"] = callerToken ?? string.Empty;
        }

        properties["destination_token"] = request.DestinationToken ?? string.Empty;
        properties["name"] = file.Name;
        properties["size"] = file.Size.ToString(CultureInfo.InvariantCulture);
        properties["sha256"] = file.Sha256;

        using (PluginContext.Begin(new PluginContext(TransferId: id)))
        {
            var transfer = await protocol.SendAsync(send, ct);
            var record = new TransferRecord(transfer.Id, protocolName, request.FileId!, owner, PluginContext.Current);
            _transfers[transfer.Id] = record;
            var started = Seen(record, transfer);
            monitors.Enqueue(MonitorEventKind.Started, transfer);
            Follow(record);
            return started;
        }
    }

    /// <summary>Gets a transfer's current state.</summary>
    /// <param name="id">The transfer's id.</param>
    /// <param name="viewer">The id of the user asking, who sees only their own transfers; null for an admin, who sees all.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The transfer.</returns>
    /// <exception cref="ApiException">404: no transfer has the id, or it is another user's.</exception>
    public async Task<TransferDto> StatusAsync(string id, string? viewer, CancellationToken cancellationToken)
    {
        if (!_transfers.ContainsKey(id) && shared is not null)
        {
            return Visible(await shared.FindAsync(id, cancellationToken), viewer) ?? throw NotFound(id);
        }

        var record = Find(id, viewer);
        using var scope = PluginContext.Begin(new PluginContext(TransferId: id));
        return Seen(record, await plugins.Protocol(record.Protocol).Client.StatusAsync(id, cancellationToken));
    }

    /// <summary>
    /// The transfers this host has started since it started, newest first, each as last seen: the background watch of
    /// each transfer keeps that current while it runs. It asks no plugin, so it is cheap to poll.
    /// </summary>
    /// <param name="limit">The most to return.</param>
    /// <param name="viewer">The id of the user asking, who sees only their own transfers; null for an admin, who sees all.</param>
    /// <returns>The transfers.</returns>
    public IReadOnlyList<TransferDto> List(int limit, string? viewer) =>
        [.. _transfers.Values.Where(r => viewer is null || r.Owner == viewer).OrderByDescending(r => r.StartedAt).Select(r => r.Latest).OfType<TransferDto>().Take(limit)];

    /// <summary>
    /// The transfers to list: with <see cref="SharedTransfers"/>, those of every node, newest first, from the shared
    /// database; otherwise <see cref="List"/>.
    /// </summary>
    /// <param name="limit">The most to return.</param>
    /// <param name="viewer">The id of the user asking, who sees only their own transfers; null for an admin, who sees all.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The transfers.</returns>
    public async Task<IReadOnlyList<TransferDto>> ListAsync(int limit, string? viewer, CancellationToken cancellationToken) =>
        shared is null ? List(limit, viewer) : await shared.ListAsync(limit, viewer, cancellationToken);

    /// <summary>Cancels a transfer.</summary>
    /// <param name="id">The transfer's id.</param>
    /// <param name="viewer">The id of the user asking, who may cancel only their own transfers; null for an admin.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The transfer after cancelling.</returns>
    /// <exception cref="ApiException">404: no transfer has the id, or it is another user's.</exception>
    public async Task<TransferDto> CancelAsync(string id, string? viewer, CancellationToken cancellationToken)
    {
        if (!_transfers.ContainsKey(id) && shared is not null)
        {
            return await CancelElsewhereAsync(shared, id, viewer, cancellationToken);
        }

        var record = Find(id, viewer);
        using var scope = PluginContext.Begin(new PluginContext(TransferId: id));
        return Seen(record, await plugins.Protocol(record.Protocol).Client.CancelAsync(id, cancellationToken));
    }

    /// <summary>
    /// Resumes a cancelled or failed transfer and follows it again. With <see cref="SharedTransfers"/>, a transfer another
    /// node ran is resumed by that node (asked through the database); when that node does not take the request within
    /// a few seconds (it is down), this node takes the transfer over and sends the file again itself.
    /// </summary>
    /// <param name="id">The transfer's id.</param>
    /// <param name="destinationToken">A fresh token for the destination, or null to keep the one the transfer started with.</param>
    /// <param name="viewer">The id of the user asking, who may resume only their own transfers; null for an admin.</param>
    /// <param name="callerToken">The resuming caller's current token on this host.</param>
    /// <param name="requestBase">This host's address as the caller reached it, for a transfer this node takes over.</param>
    /// <param name="ct">Cancels the resume.</param>
    /// <returns>The resumed transfer.</returns>
    /// <exception cref="ApiException">404: no transfer has the id, or it is another user's.</exception>
    public async Task<TransferDto> ResumeAsync(string id, string? destinationToken, string? viewer, string? callerToken, string requestBase, CancellationToken ct) =>
        !_transfers.ContainsKey(id) && shared is not null
            ? await ResumeElsewhereAsync(shared, id, destinationToken, viewer, callerToken, requestBase, ct)
            : await ResumeHereAsync(id, destinationToken, viewer, callerToken, ct);

    /// <summary>Whether this node runs the transfer (its protocol plugin holds it).</summary>
    /// <param name="id">The transfer's id.</param>
    /// <returns>Whether it does.</returns>
    internal bool Runs(string id) => _transfers.ContainsKey(id);

    /// <summary>Resumes a transfer this node runs, through its protocol plugin, from the receiver's acknowledged offset.</summary>
    /// <param name="id">The transfer's id.</param>
    /// <param name="destinationToken">A fresh token for the destination, or null to keep the one the transfer started with.</param>
    /// <param name="viewer">The id of the user asking, who may resume only their own transfers; null for an admin or for a resume another node checked.</param>
    /// <param name="callerToken">The resuming caller's current token.</param>
    /// <param name="ct">Cancels the resume.</param>
    /// <returns>The resumed transfer.</returns>
    internal async Task<TransferDto> ResumeHereAsync(string id, string? destinationToken, string? viewer, string? callerToken, CancellationToken ct)
    {
        var record = Find(id, viewer);
        using var scope = PluginContext.Begin(new PluginContext(TransferId: id));
        var resume = new ResumeRequest { Id = id, Options = new TransferOptions() };
        // The resuming caller's token replaces the original one, which may have expired or been revoked since.
        if (!plugins.ReadsFilesThroughHost(record.Protocol))
        {
            resume.Options.Properties["source_token"] = callerToken ?? string.Empty;
        }

        resume.Options.Properties["destination_token"] = destinationToken ?? string.Empty;
        var transfer = await plugins.Protocol(record.Protocol).Client.ResumeAsync(resume, ct);
        Follow(record);
        return Seen(record, transfer);
    }

    /// <summary>Follows a transfer's changes until it ends.</summary>
    /// <param name="id">The transfer's id.</param>
    /// <param name="viewer">The id of the user asking, who may follow only their own transfers; null for an admin.</param>
    /// <param name="cancellationToken">Stops following.</param>
    /// <returns>Each change.</returns>
    /// <exception cref="ApiException">404 (before the first change): no transfer has the id, or it is another user's.</exception>
    public async IAsyncEnumerable<TransferDto> WatchAsync(string id, string? viewer, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!_transfers.ContainsKey(id) && shared is not null)
        {
            await foreach (var transfer in WatchElsewhereAsync(shared, id, viewer, cancellationToken))
            {
                yield return transfer;
            }

            yield break;
        }

        var record = Find(id, viewer);
        await foreach (var transfer in plugins.Protocol(record.Protocol).Client.WatchTransferAsync(id, cancellationToken))
        {
            yield return TransferDto.From(transfer, record.FileId, record.Owner);
        }
    }

    // Another user's transfer is answered as one that does not exist, so that ids reveal nothing (as files are).
    private TransferRecord Find(string id, string? viewer) =>
        _transfers.TryGetValue(id, out var record) && (viewer is null || record.Owner == viewer) ? record : throw NotFound(id);

    private static TransferDto? Visible(TransferDto? transfer, string? viewer) =>
        transfer is not null && (viewer is null || transfer.Owner == viewer) ? transfer : null;

    private ApiException NotFound(string id) => NotFound(id, shared is not null);

    private static ApiException NotFound(string id, bool cluster) =>
        ApiException.NotFound($"No transfer with id '{id}' is yours to see {(cluster ? "on any node" : "on this host")}; list your transfers with GET /v1/transfers (an admin sees everyone's).");

    // Another node runs it: each state that node saves is announced (NOTIFY), so this node reads the record again on
    // each announcement, or after a few seconds should one be missed, until the transfer ends.
    private static async IAsyncEnumerable<TransferDto> WatchElsewhereAsync(SharedTransfers shared, string id, string? viewer, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var change = shared.NextChange(id);
        var latest = Visible(await shared.FindAsync(id, cancellationToken), viewer) ?? throw NotFound(id, cluster: true);
        yield return latest;
        while (latest.Status is "pending" or "active")
        {
            await WaitForChangeAsync(change, cancellationToken);
            change = shared.NextChange(id);
            var next = await shared.FindAsync(id, cancellationToken) ?? latest;
            if (next != latest)
            {
                latest = next;
                yield return latest;
            }
        }
    }

    // A change announced, or a pause that heals a missed announcement (the listener also wakes every waiter then).
    private static async Task WaitForChangeAsync(Task change, CancellationToken cancellationToken)
    {
        try
        {
            await change.WaitAsync(MissedChangePause, cancellationToken);
        }
        catch (TimeoutException)
        {
            // Read again anyway.
        }
    }

    private static readonly TimeSpan MissedChangePause = TimeSpan.FromSeconds(5);

    // Another node runs it: ask that node through the database, and wait (bounded) until it reports the transfer ended.
    private static async Task<TransferDto> CancelElsewhereAsync(SharedTransfers shared, string id, string? viewer, CancellationToken cancellationToken)
    {
        var change = shared.NextChange(id);
        var latest = Visible(await shared.FindAsync(id, cancellationToken), viewer) ?? throw NotFound(id, cluster: true);
        if (latest.Status is not ("pending" or "active"))
        {
            return latest;
        }

        await shared.RequestCancelAsync(id, cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(RemoteCancelWait);
        try
        {
            while (latest.Status is "pending" or "active")
            {
                await WaitForChangeAsync(change, deadline.Token);
                change = shared.NextChange(id);
                latest = await shared.FindAsync(id, deadline.Token) ?? latest;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw ApiException.For(PluginErrorCode.Unavailable,
                $"The node running transfer '{id}' did not confirm the cancel within {RemoteCancelWait.TotalSeconds:0} s (it may be down); the cancel stays asked, retry to see its state.");
        }

        return latest;
    }

    // Another node ran it: that node resumes it, from the receiver's offset, once it takes the request; a node that does
    // not take it within ResumeHandOverWait is down (or restarted and no longer holds it), and this node takes the
    // transfer over: a conditional UPDATE makes it the transfer's node, and its protocol plugin sends the file again
    // under the same id (the receiver's upload belonged to the other node's plugin, so it starts from the beginning).
    private async Task<TransferDto> ResumeElsewhereAsync(SharedTransfers shared, string id, string? destinationToken, string? viewer, string? callerToken, string requestBase, CancellationToken ct)
    {
        var change = shared.NextChange(id);
        var latest = Visible(await shared.FindAsync(id, ct), viewer) ?? throw NotFound(id, cluster: true);
        if (latest.Status is not ("failed" or "cancelled"))
        {
            throw ApiException.For(PluginErrorCode.FailedPrecondition, $"Transfer '{id}' is {latest.Status}; only a failed or cancelled transfer can be resumed.");
        }

        var node = await shared.RequestResumeAsync(id, new TransferResumeRequest(destinationToken, callerToken), ct) ?? throw NotFound(id);
        LogResumeAsked(logger, id, node);
        if (node != shared.Node)
        {
            using var handOver = CancellationTokenSource.CreateLinkedTokenSource(ct);
            handOver.CancelAfter(ResumeHandOverWait);
            try
            {
                while (true)
                {
                    var state = await shared.ResumeStateAsync(id, handOver.Token) ?? throw NotFound(id);
                    if (state.Failure is { } failure)
                    {
                        throw new ApiException(failure.Status, failure.Code, failure.Message);
                    }

                    // Taken, and running again (or already done): the node that ran it resumed it.
                    if (!state.Pending && state.Latest.Status is not ("failed" or "cancelled"))
                    {
                        return state.Latest;
                    }

                    await WaitForChangeAsync(change, handOver.Token);
                    change = shared.NextChange(id);
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // Not taken in time: take it over below.
            }
        }

        if (string.IsNullOrEmpty(destinationToken))
        {
            await shared.WithdrawResumeAsync(id, ct);
            throw ApiException.For(PluginErrorCode.FailedPrecondition,
                $"Node '{node}', which ran transfer '{id}', did not take the resume within {ResumeHandOverWait.TotalSeconds:0} s (it is down, or no longer holds the transfer). This node can take it over and send the file again, but the destination's token stays with that node: resume again with {{\"destinationToken\": \"...\"}}.");
        }

        var (claimed, protocol) = await shared.ClaimAsync(id, node, ct);
        if (!claimed)
        {
            throw ApiException.For(PluginErrorCode.Unavailable,
                $"Node '{node}' took the resume of transfer '{id}' but did not confirm it within {ResumeHandOverWait.TotalSeconds:0} s, or another node took the transfer over; GET the transfer to see its state, and resume again if it is still stopped.");
        }

        LogTakenOver(logger, id, node);
        return await SendAsync(new TransferRequest(latest.FileId, latest.Destination, protocol, destinationToken), id, latest.Owner, callerToken, requestBase, ct);
    }

    // How long the node that ran a transfer has to take a resume asked of it before another node takes the transfer over.
    private static readonly TimeSpan ResumeHandOverWait = TimeSpan.FromSeconds(10);

    private TransferDto Seen(TransferRecord record, Transfer transfer)
    {
        var dto = record.Seen(transfer);
        if (shared is not null)
        {
            // In order, off the request path: one writer drains the queue.
            _published.Writer.TryWrite((dto, record.Protocol));
            if (Interlocked.CompareExchange(ref _publishing, 1, 0) == 0)
            {
                _ = Task.Run(PublishAsync);
            }
        }

        return dto;
    }

    private async Task PublishAsync()
    {
        await foreach (var (dto, protocol) in _published.Reader.ReadAllAsync())
        {
            try
            {
                await shared!.SaveAsync(dto, protocol, CancellationToken.None);
            }
            catch (Exception ex)
            {
                LogPublishFailed(logger, dto.Id, ex.Message);
            }
        }
    }

    // Each transfer is followed in the background so that monitors hear of it even when no client watches.
    private void Follow(TransferRecord record) => _ = Task.Run(async () =>
    {
        using var scope = record.Context is null ? null : PluginContext.Begin(record.Context);
        var ended = false;
        var final = false;
        var lost = 0;
        try
        {
            // A plugin that restarts (a crash, an upgrade) ends the watch; one that keeps its transfers (HttpProtocol
            // with the host callback kv) knows this one again once it is back, so the watch starts again.
            while (!final)
            {
                try
                {
                    await foreach (var transfer in plugins.Protocol(record.Protocol).Client.WatchTransferAsync(record.Id))
                    {
                        lost = 0;
                        Seen(record, transfer);
                        switch (transfer.Status)
                        {
                            case TransferStatus.Completed:
                                monitors.Enqueue(MonitorEventKind.Completed, transfer);
                                End("completed", transfer.BytesTransferred);
                                final = true;
                                break;
                            case TransferStatus.Failed:
                                monitors.Enqueue(MonitorEventKind.Failed, transfer);
                                End("failed", transfer.BytesTransferred);
                                final = true;
                                break;
                            case TransferStatus.Cancelled:
                                final = true;
                                break;
                            case TransferStatus.Active:
                                monitors.Enqueue(MonitorEventKind.Progress, transfer);
                                break;
                        }
                    }

                    final = true;
                }
                catch (PluginException ex) when (ex.Code is not PluginErrorCode.NotFound && ++lost <= FollowAttempts)
                {
                    LogFollowRetrying(logger, record.Id, ex.Message);
                    await Task.Delay(FollowPause);
                }
            }
        }
        catch (PluginException ex)
        {
            LogFollowFailed(logger, record.Id, ex.Message);
        }
        finally
        {
            End("unknown", 0);
        }

        void End(string status, long bytes)
        {
            if (!ended)
            {
                ended = true;
                FileTransferTelemetry.TransferEnded(record.StartedAt, status, bytes);
            }
        }
    });

    // How long a transfer is followed while its plugin is away: 60 pauses of a second, longer than a restart takes.
    private const int FollowAttempts = 60;
    private static readonly TimeSpan FollowPause = TimeSpan.FromSeconds(1);

    private string PublicBase(string requestBase) => (options.Value.PublicUrl ?? requestBase).TrimEnd('/');

    [LoggerMessage(2, LogLevel.Information, "Lost the watch of transfer {TransferId}, watching again shortly: {Error}")]
    private static partial void LogFollowRetrying(ILogger logger, string transferId, string error);

    [LoggerMessage(3, LogLevel.Warning, "Could not write transfer {TransferId} to the shared database: {Error}")]
    private static partial void LogPublishFailed(ILogger logger, string transferId, string error);

    [LoggerMessage(5, LogLevel.Information, "Asked node {Node} to resume transfer {TransferId}")]
    private static partial void LogResumeAsked(ILogger logger, string transferId, string node);

    [LoggerMessage(4, LogLevel.Warning, "Took over transfer {TransferId}: node {Node}, which ran it, did not take the resume asked of it; sending it again from this node")]
    private static partial void LogTakenOver(ILogger logger, string transferId, string node);

    [LoggerMessage(1, LogLevel.Warning, "Stopped following transfer {TransferId}: {Error}")]
    private static partial void LogFollowFailed(ILogger logger, string transferId, string error);

    private sealed record TransferRecord(string Id, string Protocol, string FileId, string Owner, PluginContext? Context)
    {
        private TransferDto? _latest;
        private DateTimeOffset? _finishedAt;

        public long StartedAt { get; } = FileTransferTelemetry.TransferStarted();

        /// <summary>The transfer as last seen, for the list.</summary>
        public TransferDto? Latest => Volatile.Read(ref _latest);

        /// <summary>Records the transfer as just seen and returns it as the API shows it.</summary>
        public TransferDto Seen(Transfer transfer)
        {
            // The plugin reports when a transfer started, not when it ended: the end is when this host first saw it so,
            // and a resumed transfer is running again.
            var ended = transfer.Status is TransferStatus.Completed or TransferStatus.Failed or TransferStatus.Cancelled;
            _finishedAt = ended ? _finishedAt ?? DateTimeOffset.UtcNow : null;
            var dto = TransferDto.From(transfer, FileId, Owner) with { FinishedAt = _finishedAt };
            Volatile.Write(ref _latest, dto);
            return dto;
        }
    }
}
