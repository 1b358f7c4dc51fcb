using Grpc.Core;
using GrpcPlugins.Examples.AuditMonitor.Internal;
using GrpcPlugins.Monitor.V2;
using GrpcPlugins.Protocol.V1;
using GrpcPlugins.Sdk;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.Examples.AuditMonitor;

/// <summary>
/// A monitor plugin that appends every transfer event and custom metric to a JSON-lines audit log and records
/// them as .NET metrics (meter "GrpcPlugins.Examples.AuditMonitor"), exported over OTLP when configured.
/// Configuration: <see cref="AuditMonitorSettings"/> (<c>audit_log</c>, required, <c>flush_interval_ms</c>,
/// <c>otlp_endpoint</c>, <c>otlp_protocol</c>).
/// </summary>
public sealed class AuditMonitorService : MonitorService.MonitorServiceBase, IPluginLifecycle, IAsyncDisposable
{
    private readonly IOptionsMonitor<AuditMonitorSettings> _settings;
    private readonly ILogger<AuditMonitorService> _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _configure = new(1, 1);
    private volatile MonitorSession? _session;

    /// <summary>Creates the monitor; it writes nothing until Init gives it an audit log.</summary>
    /// <param name="settings">The Init config, bound and validated by the SDK before <see cref="InitAsync"/> runs.</param>
    /// <param name="logger">Receives warnings about dropped audit lines and the monitor's lifecycle.</param>
    /// <param name="timeProvider">The clock for audit timestamps, transfer durations and flushes.</param>
    public AuditMonitorService(IOptionsMonitor<AuditMonitorSettings> settings, ILogger<AuditMonitorService> logger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _settings = settings;
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
    /// <param name="config">The configuration, already bound to <see cref="AuditMonitorSettings"/> and validated.</param>
    /// <param name="cancellationToken">Cancelled when the host gives up on Init.</param>
    /// <returns>A task that completes when the audit log is open.</returns>
    /// <exception cref="PluginException">InvalidArgument: the audit log cannot be written.</exception>
    public async Task InitAsync(IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        var options = MonitorOptions.From(_settings.CurrentValue);
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

    /// <summary>
    /// Takes a batch of events in order: each transfer event becomes a <c>transfer.*</c> audit line and updates the
    /// transfer metrics; each custom metric becomes a <c>metric.recorded</c> line and a value of the histogram
    /// <c>filetransfer.monitor.custom</c>. Progress lines are many, so they are written with the next flush (every
    /// <c>flush_interval_ms</c>); the others are flushed at once. The whole batch is checked first: one bad event
    /// fails the call and none of the batch is written.
    /// </summary>
    /// <param name="request">The events, oldest first, each with the context of the request that caused it.</param>
    /// <param name="context">The call's context.</param>
    /// <returns>How many events were taken: all of them.</returns>
    /// <exception cref="PluginException">
    /// InvalidArgument: an event is empty, a transfer event has no transfer, or a metric has no name or a value that
    /// is not a finite number. FailedPrecondition: no audit log is open (Init has not succeeded, or after Shutdown).
    /// </exception>
    public override Task<PublishEventsResponse> PublishEvents(PublishEventsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        for (var i = 0; i < request.Events.Count; i++)
        {
            AuditEventCheck.Validate(request.Events[i], i);
        }

        var log = OpenLog();
        foreach (var monitorEvent in request.Events)
        {
            Take(log, monitorEvent, monitorEvent.GetPluginContext(context));
        }

        return Task.FromResult(new PublishEventsResponse { Accepted = (uint)request.Events.Count });
    }

    private void Take(AuditLog log, MonitorEvent monitorEvent, PluginCallContext context)
    {
        var now = monitorEvent.OccurredAt?.ToDateTime() ?? Now();
        switch (monitorEvent.EventCase)
        {
            case MonitorEvent.EventOneofCase.TransferStarted:
                var started = monitorEvent.TransferStarted.Transfer;
                Write(log, AuditRecord.ForTransfer(AuditEvents.TransferStarted, now, started, started.Progress, context), urgent: true);
                Metrics.TransferStarted();
                break;
            case MonitorEvent.EventOneofCase.TransferProgress:
                var progress = monitorEvent.TransferProgress;
                Write(log, AuditRecord.ForTransfer(AuditEvents.TransferProgress, now, progress.Transfer, progress.Progress, context), urgent: false);
                break;
            case MonitorEvent.EventOneofCase.TransferCompleted:
                var completed = monitorEvent.TransferCompleted.Transfer;
                Write(log, AuditRecord.ForTransfer(AuditEvents.TransferCompleted, now, completed, completed.Progress, context), urgent: true);
                Metrics.TransferCompleted(completed.BytesTransferred, Duration(completed, now));
                break;
            case MonitorEvent.EventOneofCase.TransferFailed:
                var failed = monitorEvent.TransferFailed;
                var error = AuditError.From(failed.Error, failed.Transfer.Error);
                Write(log, AuditRecord.ForTransfer(AuditEvents.TransferFailed, now, failed.Transfer, failed.Transfer.Progress, context, error), urgent: true);
                Metrics.TransferFailed(Duration(failed.Transfer, now));
                break;
            default:
                var metric = monitorEvent.Metric;
                Write(log, AuditRecord.ForMetric(now, metric.Name, metric.Value, metric.Tags, context), urgent: false);
                Metrics.Custom(metric.Name, metric.Value, metric.Tags);
                break;
        }
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

    private static TimeSpan? Duration(Transfer transfer, DateTime now) =>
        transfer.StartedAt is { } started ? now - started.ToDateTime() : null;

    private DateTime Now() => _time.GetUtcNow().UtcDateTime;

    // The SDK refuses calls before Init; this covers calls that race a Shutdown.
    private AuditLog OpenLog() => _session?.Log ?? throw new PluginException(
        PluginErrorCode.FailedPrecondition,
        "The audit monitor has no open audit log: it was shut down, or Init has not succeeded. Call Init with audit_log first.");

    private static void Write(AuditLog log, AuditRecord record, bool urgent) => log.Write(record.ToJsonLine(), urgent);
}
