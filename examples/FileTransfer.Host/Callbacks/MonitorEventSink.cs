using Google.Protobuf.WellKnownTypes;
using GrpcPlugins.Hosting.Callbacks;

namespace FileTransfer.Host.Callbacks;

/// <summary>
/// Takes the events plugins publish through host callbacks. The file-transfer host's monitor queue carries transfer
/// events only, so a plugin's own events are logged here and answered as not taken.
/// </summary>
public sealed partial class MonitorEventSink(ILogger<MonitorEventSink> logger) : IHostEventSink
{
    /// <inheritdoc />
    public ValueTask<bool> PublishAsync(string pluginName, string kind, Struct data, CancellationToken cancellationToken)
    {
        LogEvent(logger, pluginName, kind, data.ToString());
        return ValueTask.FromResult(false);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Plugin {Plugin} published event {Kind}: {Data}")]
    private static partial void LogEvent(ILogger logger, string plugin, string kind, string data);
}
