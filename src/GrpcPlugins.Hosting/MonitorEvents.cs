using System.Diagnostics;
using Google.Protobuf.WellKnownTypes;
using GrpcPlugins.Monitor.V2;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Protocol.V1;

namespace GrpcPlugins.Hosting;

/// <summary>
/// Makes the events that <see cref="IMonitorPlugin.PublishAsync"/> delivers. Each event is stamped, when it is made,
/// with the current <see cref="PluginContext"/>, the current trace (W3C traceparent) and the time, so that it keeps
/// the context of the request that caused it however late it is delivered.
/// </summary>
public static class MonitorEvents
{
    /// <summary>Makes a "transfer started" event.</summary>
    /// <param name="transfer">The transfer's state when it started. The event keeps this object: pass a copy if it changes later.</param>
    /// <returns>The event.</returns>
    public static MonitorEvent Started(Transfer transfer) =>
        Stamp(new MonitorEvent { TransferStarted = new TransferStarted { Transfer = Require(transfer) } });

    /// <summary>Makes a "transfer progress" event.</summary>
    /// <param name="transfer">The transfer's current state. The event keeps this object: pass a copy if it changes later.</param>
    /// <param name="progress">The fraction done, from 0 to 1.</param>
    /// <returns>The event.</returns>
    public static MonitorEvent Progress(Transfer transfer, double progress) =>
        Stamp(new MonitorEvent { TransferProgress = new TransferProgress { Transfer = Require(transfer), Progress = progress } });

    /// <summary>Makes a "transfer completed" event.</summary>
    /// <param name="transfer">The transfer's final state. The event keeps this object: pass a copy if it changes later.</param>
    /// <returns>The event.</returns>
    public static MonitorEvent Completed(Transfer transfer) =>
        Stamp(new MonitorEvent { TransferCompleted = new TransferCompleted { Transfer = Require(transfer) } });

    /// <summary>Makes a "transfer failed" event.</summary>
    /// <param name="transfer">The transfer's state when it failed. The event keeps this object: pass a copy if it changes later.</param>
    /// <param name="error">Why it failed.</param>
    /// <returns>The event.</returns>
    public static MonitorEvent Failed(Transfer transfer, PluginError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return Stamp(new MonitorEvent { TransferFailed = new TransferFailed { Transfer = Require(transfer), Error = error } });
    }

    /// <summary>Makes a custom metric event.</summary>
    /// <param name="name">The metric's name.</param>
    /// <param name="value">The value.</param>
    /// <param name="tags">The metric's dimensions.</param>
    /// <returns>The event.</returns>
    public static MonitorEvent Metric(string name, double value, IReadOnlyDictionary<string, string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var metric = new Metric { Name = name, Value = value };
        foreach (var (key, tag) in tags ?? new Dictionary<string, string>())
        {
            metric.Tags[key] = tag;
        }

        return Stamp(new MonitorEvent { Metric = metric });
    }

    /// <summary>The context an event carries, as the <see cref="PluginContext"/> a v1 call would have sent it with.</summary>
    internal static PluginContext ContextOf(MonitorEvent monitorEvent) =>
        new(NullIfEmpty(monitorEvent.Context?.TransferId), NullIfEmpty(monitorEvent.Context?.UserId), NullIfEmpty(monitorEvent.Context?.RequestId));

    private static MonitorEvent Stamp(MonitorEvent monitorEvent)
    {
        var current = PluginContext.Current;
        monitorEvent.Context = new EventContext
        {
            TransferId = current?.TransferId ?? string.Empty,
            UserId = current?.UserId ?? string.Empty,
            RequestId = current?.RequestId ?? string.Empty,
            Traceparent = Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity ? activity.Id ?? string.Empty : string.Empty,
        };
        monitorEvent.OccurredAt = Timestamp.FromDateTime(DateTime.UtcNow);
        return monitorEvent;
    }

    private static Transfer Require(Transfer transfer)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        return transfer;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
