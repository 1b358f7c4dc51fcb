using Grpc.Core;
using GrpcPlugins.Monitor.V2;
using V1 = GrpcPlugins.Monitor.V1;

namespace GrpcPlugins.Examples.AuditMonitor.Tests;

/// <summary>
/// Sends one event as a one-event PublishEvents batch, the way a host delivers a single event, with the ids of
/// <paramref name="context"/>'s headers moved into the event's context as the host does for v2 monitors. The tests
/// describe events with the v1 request shapes, which name each event kind.
/// </summary>
internal static class OneEventCalls
{
    public static Task<PublishEventsResponse> TransferStarted(this AuditMonitorService monitor, V1.TransferStartedRequest request, ServerCallContext context) =>
        monitor.Publish(context, new MonitorEvent { TransferStarted = new TransferStarted { Transfer = request.Transfer } });

    public static Task<PublishEventsResponse> TransferProgress(this AuditMonitorService monitor, V1.TransferProgressRequest request, ServerCallContext context) =>
        monitor.Publish(context, new MonitorEvent { TransferProgress = new TransferProgress { Transfer = request.Transfer, Progress = request.Progress } });

    public static Task<PublishEventsResponse> TransferCompleted(this AuditMonitorService monitor, V1.TransferCompletedRequest request, ServerCallContext context) =>
        monitor.Publish(context, new MonitorEvent { TransferCompleted = new TransferCompleted { Transfer = request.Transfer } });

    public static Task<PublishEventsResponse> TransferFailed(this AuditMonitorService monitor, V1.TransferFailedRequest request, ServerCallContext context) =>
        monitor.Publish(context, new MonitorEvent { TransferFailed = new TransferFailed { Transfer = request.Transfer, Error = request.Error } });

    public static Task<PublishEventsResponse> RecordMetric(this AuditMonitorService monitor, V1.RecordMetricRequest request, ServerCallContext context) =>
        monitor.Publish(context, new MonitorEvent { Metric = new Metric { Name = request.Name, Value = request.Value, Tags = { request.Tags } } });

    public static Task<PublishEventsResponse> Publish(this AuditMonitorService monitor, ServerCallContext context, params MonitorEvent[] events)
    {
        foreach (var monitorEvent in events)
        {
            monitorEvent.Context ??= new EventContext
            {
                TransferId = context.RequestHeaders.GetValue(PluginProtocol.TransferIdHeader) ?? string.Empty,
                UserId = context.RequestHeaders.GetValue(PluginProtocol.UserIdHeader) ?? string.Empty,
                RequestId = context.RequestHeaders.GetValue(PluginProtocol.RequestIdHeader) ?? string.Empty,
            };
        }

        return monitor.PublishEvents(new PublishEventsRequest { Events = { events } }, context);
    }
}
