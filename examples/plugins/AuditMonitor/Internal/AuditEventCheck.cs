using GrpcPlugins.Monitor.V2;

namespace GrpcPlugins.Examples.AuditMonitor.Internal;

/// <summary>Checks one event of a batch before any of the batch is written, so a bad batch leaves no partial trace.</summary>
internal static class AuditEventCheck
{
    public static void Validate(MonitorEvent monitorEvent, int index)
    {
        var problem = monitorEvent.EventCase switch
        {
            MonitorEvent.EventOneofCase.None => "is empty: set one of transfer_started, transfer_progress, transfer_completed, transfer_failed or metric",
            MonitorEvent.EventOneofCase.TransferStarted when monitorEvent.TransferStarted.Transfer is null => NoTransfer("transfer_started"),
            MonitorEvent.EventOneofCase.TransferProgress when monitorEvent.TransferProgress.Transfer is null => NoTransfer("transfer_progress"),
            MonitorEvent.EventOneofCase.TransferCompleted when monitorEvent.TransferCompleted.Transfer is null => NoTransfer("transfer_completed"),
            MonitorEvent.EventOneofCase.TransferFailed when monitorEvent.TransferFailed.Transfer is null => NoTransfer("transfer_failed"),
            MonitorEvent.EventOneofCase.Metric when string.IsNullOrWhiteSpace(monitorEvent.Metric.Name) =>
                "is a metric without a name; name it, such as \"filetransfer.queue.depth\"",
            MonitorEvent.EventOneofCase.Metric when !double.IsFinite(monitorEvent.Metric.Value) =>
                $"is the metric '{monitorEvent.Metric.Name}' with the value {monitorEvent.Metric.Value}; send a finite number",
            _ => null,
        };
        if (problem is not null)
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, $"Event {index} of the batch {problem}. No event of the batch was taken.");
        }
    }

    private static string NoTransfer(string kind) => $"is a {kind} without its transfer; set the transfer field";
}
