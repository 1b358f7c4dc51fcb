using Google.Protobuf.WellKnownTypes;
using GrpcPlugins.HostCallbacks.V1;
using GrpcPlugins.Sdk.Internal;

namespace GrpcPlugins.Sdk;

/// <summary>
/// Structured log entries logged by the host under the plugin's logger (<c>GrpcPlugins.Plugin.&lt;name&gt;</c>), and
/// application events handed to the host (the file-transfer host queues them for its monitors). Needs the grant <c>log</c>.
/// </summary>
public sealed class HostLog
{
    private readonly HostCallbacksConnection _connection;

    internal HostLog(HostCallbacksConnection connection) => _connection = connection;

    /// <summary>Logs one entry in the host.</summary>
    /// <param name="level">The entry's level.</param>
    /// <param name="message">The entry's text.</param>
    /// <param name="fields">The entry's structured values; null for none.</param>
    /// <param name="cancellationToken">Abandons the call.</param>
    /// <returns>A task that completes once the host logged the entry.</returns>
    public async Task WriteAsync(HostCallbacks.V1.LogLevel level, string message, IReadOnlyDictionary<string, string>? fields = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var request = new WriteLogRequest { Level = level, Message = message };
        if (fields is not null)
        {
            foreach (var (key, value) in fields)
            {
                request.Fields[key] = value;
            }
        }

        await _connection.CallAsync((c, o) => c.WriteLogAsync(request, o), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Publishes an application event.</summary>
    /// <param name="kind">The event's kind, such as <c>transfer.completed</c>.</param>
    /// <param name="data">The event's content; null for none.</param>
    /// <param name="cancellationToken">Abandons the call.</param>
    /// <returns>Whether the application took the event (false when it has no use for events).</returns>
    public async Task<bool> PublishEventAsync(string kind, Struct? data = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        var response = await _connection.CallAsync((c, o) => c.PublishEventAsync(new PublishEventRequest { Kind = kind, Data = data ?? new Struct() }, o), cancellationToken).ConfigureAwait(false);
        return response.Accepted;
    }
}
