using Google.Protobuf.WellKnownTypes;

namespace GrpcPlugins.Hosting.Callbacks;

/// <summary>
/// Takes the events plugins publish through the <c>PublishEvent</c> callback. The application implements it and registers
/// it in DI (the file-transfer host queues them for its monitors); without one, events are logged and answered
/// <c>accepted = false</c>.
/// </summary>
public interface IHostEventSink
{
    /// <summary>Takes one event.</summary>
    /// <param name="pluginName">The plugin that published it.</param>
    /// <param name="kind">The event's kind, such as <c>transfer.completed</c>.</param>
    /// <param name="data">The event's structured content.</param>
    /// <param name="cancellationToken">Cancelled when the plugin abandons the call.</param>
    /// <returns>Whether the application took the event.</returns>
    ValueTask<bool> PublishAsync(string pluginName, string kind, Struct data, CancellationToken cancellationToken);
}
