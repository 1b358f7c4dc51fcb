using Grpc.Core;
using GrpcPlugins.Examples.AuditMonitor.Internal;
using GrpcPlugins.Monitor.V1;
using GrpcPlugins.Protocol.V1;
using GrpcPlugins.Sdk;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Examples.AuditMonitor;

/// <summary>
/// A monitor plugin that appends every transfer event and custom metric to a JSON-lines audit log and records
/// them as .NET metrics (meter "GrpcPlugins.Examples.AuditMonitor"), exported over OTLP when configured.
/// Configuration keys: <c>audit_log</c> (required), <c>flush_interval_ms</c>, <c>otlp_endpoint</c>, <c>otlp_protocol</c>.
/// </summary>
public sealed class AuditMonitorService : MonitorService.MonitorServiceBase, IPluginLifecycle, IAsyncDisposable
{
    private readonly ILogger<AuditMonitorService> _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _configure = new(1, 1);
    private volatile MonitorSession? _session;

    /// <summary>Creates the monitor; it writes nothing until Init gives it an audit log.</summary>
    /// <param name="logger">Receives warnings about dropped audit lines and the monitor's lifecycle.</param>
    /// <param name="timeProvider">The clock for audit timestamps, transfer durations and flushes.</param>
    public AuditMonitorService(ILogger<AuditMonitorService> logger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _logger = logger;
        _time = timeProvider;
    }

    internal MonitorMetrics Metrics { get; } = new();

    internal AuditLog? AuditLog => _session?.Log;

    /// <summary>
    /// Opens the audit log and, when <c>otlp_endpoint</c> is set, starts the OTLP metrics export. A second Init
    /// closes the current log (writing everything queued) and applies the new configuration; if that fails,
    /// the previous configuration stays in force.
    /// </summary>
    /// <param name="config">The configuration; see the plugin's README for the keys.</param>
    /// <param name="cancellationToken">Cancelled when the host gives up on Init.</param>
    /// <returns>A task that completes when the audit log is open.</returns>
    /// <exception cref="PluginException">InvalidArgument: a key is missing or wrong, or the audit log cannot be written.</exception>
    public async Task InitAsync(IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        var options = MonitorOptions.Parse(config);
        await _configure.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var previous = _session;
            if (previous is not null)
            {
                // Closed before the new one opens: two writers on one file would overwrite each other's lines.
                _session = null;
                await previous.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }

            try
            {
                _session = MonitorSession.Start(options, _time, _logger);
            }
            catch (PluginException) when (previous is not null)
            {
                RestorePrevious(previous.Options);
                throw;
            }
        }
        finally
        {
            _configure.Release();
        }
    }

    /// <summary>Writes every queued audit line, closes the log and sends the last metrics.</summary>
    /// <param name="cancellationToken">Cancelled when the shutdown grace period ends; queued lines may then be lost.</param>
    /// <returns>A task that completes when the log is closed.</returns>
    public async Task ShutdownAsync(CancellationToken cancellationToken)
    {
        await _configure.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var session = _session;
            _session = null;
            if (session is not null)
            {
                await session.StopAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _configure.Release();
        }
    }

    /// <summary>Closes the audit log as Shutdown does, for a process stopped without Shutdown (SIGTERM).</summary>
    /// <returns>A task that completes when the log is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        await ShutdownAsync(CancellationToken.None).ConfigureAwait(false);
        Metrics.Dispose();
        _configure.Dispose();
    }

    /// <summary>Appends a <c>transfer.started</c> line and counts the transfer as started.</summary>
    /// <param name="request">The started transfer.</param>
    /// <param name="context">The call's context; its request and user ids go into the line.</param>
    /// <returns>An empty answer.</returns>
    public override Task<TransferStartedResponse> TransferStarted(TransferStartedRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var transfer = RequireTransfer(request.Transfer, nameof(TransferStarted));
        Write(AuditRecord.ForTransfer(AuditEvents.TransferStarted, Now(), transfer, transfer.Progress, PluginContext(context)), urgent: true);
        Metrics.TransferStarted();
        return Task.FromResult(new TransferStartedResponse());
    }

    /// <summary>
    /// Appends a <c>transfer.progress</c> line. Progress lines are many, so they are written with the next flush
    /// (every <c>flush_interval_ms</c>) rather than at once.
    /// </summary>
    /// <param name="request">The transfer and its progress.</param>
    /// <param name="context">The call's context; its request and user ids go into the line.</param>
    /// <returns>An empty answer.</returns>
    public override Task<TransferProgressResponse> TransferProgress(TransferProgressRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var transfer = RequireTransfer(request.Transfer, nameof(TransferProgress));
        Write(AuditRecord.ForTransfer(AuditEvents.TransferProgress, Now(), transfer, request.Progress, PluginContext(context)), urgent: false);
        return Task.FromResult(new TransferProgressResponse());
    }

    /// <summary>Appends a <c>transfer.completed</c> line and records the transfer's bytes and duration.</summary>
    /// <param name="request">The completed transfer.</param>
    /// <param name="context">The call's context; its request and user ids go into the line.</param>
    /// <returns>An empty answer.</returns>
    public override Task<TransferCompletedResponse> TransferCompleted(TransferCompletedRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var transfer = RequireTransfer(request.Transfer, nameof(TransferCompleted));
        var now = Now();
        Write(AuditRecord.ForTransfer(AuditEvents.TransferCompleted, now, transfer, transfer.Progress, PluginContext(context)), urgent: true);
        Metrics.TransferCompleted(transfer.BytesTransferred, Duration(transfer, now));
        return Task.FromResult(new TransferCompletedResponse());
    }

    /// <summary>Appends a <c>transfer.failed</c> line with the error and records the transfer's duration.</summary>
    /// <param name="request">The failed transfer and why it failed.</param>
    /// <param name="context">The call's context; its request and user ids go into the line.</param>
    /// <returns>An empty answer.</returns>
    public override Task<TransferFailedResponse> TransferFailed(TransferFailedRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var transfer = RequireTransfer(request.Transfer, nameof(TransferFailed));
        var now = Now();
        var error = AuditError.From(request.Error, transfer.Error);
        Write(AuditRecord.ForTransfer(AuditEvents.TransferFailed, now, transfer, transfer.Progress, PluginContext(context), error), urgent: true);
        Metrics.TransferFailed(Duration(transfer, now));
        return Task.FromResult(new TransferFailedResponse());
    }

    /// <summary>
    /// Appends a <c>metric.recorded</c> line and records the value in the histogram
    /// <c>filetransfer.monitor.custom</c>, tagged with the metric's name and tags.
    /// </summary>
    /// <param name="request">The metric's name, value and tags.</param>
    /// <param name="context">The call's context; its request and user ids go into the line.</param>
    /// <returns>An empty answer.</returns>
    /// <exception cref="PluginException">InvalidArgument: the name is empty or the value is not a finite number.</exception>
    public override Task<RecordMetricResponse> RecordMetric(RecordMetricRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, "RecordMetric needs a name, such as \"filetransfer.queue.depth\".");
        }

        if (!double.IsFinite(request.Value))
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, $"RecordMetric '{request.Name}' has the value {request.Value}; send a finite number.");
        }

        Write(AuditRecord.ForMetric(Now(), request.Name, request.Value, request.Tags, PluginContext(context)), urgent: false);
        Metrics.Custom(request.Name, request.Value, request.Tags);
        return Task.FromResult(new RecordMetricResponse());
    }

    private void RestorePrevious(MonitorOptions options)
    {
        try
        {
            _session = MonitorSession.Start(options, _time, _logger);
        }
        catch (PluginException)
        {
            // The previous log cannot be reopened either; the caller's error says what to fix.
        }
    }

    private static Transfer RequireTransfer(Transfer? transfer, string method) =>
        transfer ?? throw new PluginException(PluginErrorCode.InvalidArgument, $"{method} needs the transfer: set the request's transfer field.");

    private static PluginCallContext PluginContext(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.GetPluginContext();
    }

    private static TimeSpan? Duration(Transfer transfer, DateTime now) =>
        transfer.StartedAt is { } started ? now - started.ToDateTime() : null;

    private DateTime Now() => _time.GetUtcNow().UtcDateTime;

    private void Write(AuditRecord record, bool urgent)
    {
        // The SDK refuses calls before Init; this covers calls that race a Shutdown.
        var session = _session ?? throw new PluginException(
            PluginErrorCode.FailedPrecondition,
            "The audit monitor has no open audit log: it was shut down, or Init has not succeeded. Call Init with audit_log first.");
        session.Log.Write(record.ToJsonLine(), urgent);
    }
}
