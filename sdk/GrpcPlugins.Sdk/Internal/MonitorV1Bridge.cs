using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GrpcPlugins.Monitor.V2;
using V1 = GrpcPlugins.Monitor.V1;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>
/// Serves a v2 monitor to a host that speaks only API v1: each v1 call becomes a one-event PublishEvents batch, with the
/// call's context moved into the event as a v2 host would send it. So a monitor written once against v2 works with
/// older hosts too.
/// </summary>
internal sealed class MonitorV1Bridge(MonitorService.MonitorServiceBase monitor) : V1.MonitorService.MonitorServiceBase
{
    private const string TraceparentHeader = "traceparent";

    public override async Task<V1.TransferStartedResponse> TransferStarted(V1.TransferStartedRequest request, ServerCallContext context)
    {
        await PublishAsync(new MonitorEvent { TransferStarted = new TransferStarted { Transfer = request.Transfer } }, context).ConfigureAwait(false);
        return new V1.TransferStartedResponse();
    }

    public override async Task<V1.TransferProgressResponse> TransferProgress(V1.TransferProgressRequest request, ServerCallContext context)
    {
        await PublishAsync(new MonitorEvent { TransferProgress = new TransferProgress { Transfer = request.Transfer, Progress = request.Progress } }, context).ConfigureAwait(false);
        return new V1.TransferProgressResponse();
    }

    public override async Task<V1.TransferCompletedResponse> TransferCompleted(V1.TransferCompletedRequest request, ServerCallContext context)
    {
        await PublishAsync(new MonitorEvent { TransferCompleted = new TransferCompleted { Transfer = request.Transfer } }, context).ConfigureAwait(false);
        return new V1.TransferCompletedResponse();
    }

    public override async Task<V1.TransferFailedResponse> TransferFailed(V1.TransferFailedRequest request, ServerCallContext context)
    {
        await PublishAsync(new MonitorEvent { TransferFailed = new TransferFailed { Transfer = request.Transfer, Error = request.Error } }, context).ConfigureAwait(false);
        return new V1.TransferFailedResponse();
    }

    public override async Task<V1.RecordMetricResponse> RecordMetric(V1.RecordMetricRequest request, ServerCallContext context)
    {
        await PublishAsync(new MonitorEvent { Metric = new Metric { Name = request.Name, Value = request.Value, Tags = { request.Tags } } }, context).ConfigureAwait(false);
        return new V1.RecordMetricResponse();
    }

    private Task<PublishEventsResponse> PublishAsync(MonitorEvent monitorEvent, ServerCallContext context)
    {
        var ids = context.GetPluginContext();
        monitorEvent.Context = new EventContext
        {
            TransferId = ids.TransferId ?? string.Empty,
            UserId = ids.UserId ?? string.Empty,
            RequestId = ids.RequestId ?? string.Empty,
            Traceparent = context.RequestHeaders.GetValue(TraceparentHeader) ?? string.Empty,
        };
        monitorEvent.OccurredAt = Timestamp.FromDateTime(DateTime.UtcNow);
        return monitor.PublishEvents(new PublishEventsRequest { Events = { monitorEvent } }, context);
    }
}
