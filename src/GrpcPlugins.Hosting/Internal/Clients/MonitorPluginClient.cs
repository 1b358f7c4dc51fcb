using Grpc.Core;
using GrpcPlugins.Monitor.V2;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Protocol.V1;
using V1 = GrpcPlugins.Monitor.V1;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// Calls a monitor in the API version it chose in its handshake: a v2 monitor takes a batch in one PublishEvents call;
/// a v1 monitor gets one call per event, each sent with its event's context as call metadata.
/// </summary>
internal sealed class MonitorPluginClient(PluginClient plugin) : IMonitorPlugin
{
    private const int BatchedApiVersion = 2;

    public Task TransferStartedAsync(Transfer transfer, CancellationToken cancellationToken = default) =>
        PublishAsync([MonitorEvents.Started(transfer)], cancellationToken);

    public Task TransferProgressAsync(Transfer transfer, double progress, CancellationToken cancellationToken = default) =>
        PublishAsync([MonitorEvents.Progress(transfer, progress)], cancellationToken);

    public Task TransferCompletedAsync(Transfer transfer, CancellationToken cancellationToken = default) =>
        PublishAsync([MonitorEvents.Completed(transfer)], cancellationToken);

    public Task TransferFailedAsync(Transfer transfer, PluginError error, CancellationToken cancellationToken = default) =>
        PublishAsync([MonitorEvents.Failed(transfer, error)], cancellationToken);

    public Task RecordMetricAsync(string name, double value, IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default) =>
        PublishAsync([MonitorEvents.Metric(name, value, tags)], cancellationToken);

    public async Task PublishAsync(IReadOnlyList<MonitorEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return;
        }

        for (var i = 0; i < events.Count; i++)
        {
            if (events[i] is null || events[i].EventCase == MonitorEvent.EventOneofCase.None)
            {
                throw new ArgumentException($"Event {i} of the batch is empty: make events with MonitorEvents.Started, Progress, Completed, Failed or Metric.", nameof(events));
            }
        }

        // The version is read from the instance each call reaches: an upgrade may change it between two calls.
        var request = new PublishEventsRequest { Events = { events } };
        await plugin.CallAsync(
            async (PluginInstance instance, CancellationToken ct) => instance.Handshake.AppVersion >= BatchedApiVersion
                ? await new MonitorService.MonitorServiceClient(instance.Invoker).PublishEventsAsync(request, cancellationToken: ct)
                : await SendV1Async(new V1.MonitorService.MonitorServiceClient(instance.Invoker), events, ct),
            cancellationToken).ConfigureAwait(false);
    }

    // A v1 monitor takes one call per event, each carrying its event's context as call metadata.
    private static async Task<PublishEventsResponse> SendV1Async(V1.MonitorService.MonitorServiceClient client, IReadOnlyList<MonitorEvent> events, CancellationToken ct)
    {
        foreach (var monitorEvent in events)
        {
            using var scope = PluginContext.Begin(MonitorEvents.ContextOf(monitorEvent));
            await SendV1Async(client, monitorEvent, ct);
        }

        return new PublishEventsResponse { Accepted = (uint)events.Count };
    }

    private static async Task SendV1Async(V1.MonitorService.MonitorServiceClient client, MonitorEvent monitorEvent, CancellationToken ct)
    {
        switch (monitorEvent.EventCase)
        {
            case MonitorEvent.EventOneofCase.TransferStarted:
                await client.TransferStartedAsync(new V1.TransferStartedRequest { Transfer = monitorEvent.TransferStarted.Transfer }, cancellationToken: ct);
                break;
            case MonitorEvent.EventOneofCase.TransferProgress:
                var progress = monitorEvent.TransferProgress;
                await client.TransferProgressAsync(new V1.TransferProgressRequest { Transfer = progress.Transfer, Progress = progress.Progress }, cancellationToken: ct);
                break;
            case MonitorEvent.EventOneofCase.TransferCompleted:
                await client.TransferCompletedAsync(new V1.TransferCompletedRequest { Transfer = monitorEvent.TransferCompleted.Transfer }, cancellationToken: ct);
                break;
            case MonitorEvent.EventOneofCase.TransferFailed:
                var failed = monitorEvent.TransferFailed;
                await client.TransferFailedAsync(new V1.TransferFailedRequest { Transfer = failed.Transfer, Error = failed.Error }, cancellationToken: ct);
                break;
            case MonitorEvent.EventOneofCase.Metric:
                var metric = monitorEvent.Metric;
                await client.RecordMetricAsync(new V1.RecordMetricRequest { Name = metric.Name, Value = metric.Value, Tags = { metric.Tags } }, cancellationToken: ct);
                break;
            default:
                throw new ArgumentException($"Unknown monitor event {monitorEvent.EventCase}.", nameof(monitorEvent));
        }
    }
}
