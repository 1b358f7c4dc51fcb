using Grpc.Core;
using GrpcPlugins.Monitor.V2;

namespace MyMonitor;

/// <summary>Counts the events of each kind; replace PublishEvents with your own sink.</summary>
public sealed class CountingMonitor : MonitorService.MonitorServiceBase
{
    private long _completed;

    /// <summary>How many transfer.completed events arrived.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <inheritdoc />
    public override Task<PublishEventsResponse> PublishEvents(PublishEventsRequest request, ServerCallContext context)
    {
        foreach (var monitorEvent in request.Events)
        {
            if (monitorEvent.EventCase == MonitorEvent.EventOneofCase.TransferCompleted)
            {
                Interlocked.Increment(ref _completed);
            }
        }

        return Task.FromResult(new PublishEventsResponse { Accepted = (uint)request.Events.Count });
    }
}
