using System.Runtime.CompilerServices;
using System.Text;

namespace FileTransfer.Cli.Internal;

/// <summary>One server-sent event.</summary>
/// <param name="Type">The event's type ("message" when the server named none).</param>
/// <param name="Data">The data lines, joined with '\n'.</param>
/// <param name="Id">The event id, or null.</param>
internal sealed record ServerSentEvent(string Type, string Data, string? Id);

/// <summary>Reads a text/event-stream body as the HTML Living Standard describes (event, data, id; comments and retry ignored).</summary>
internal static class ServerSentEvents
{
    /// <summary>Reads events until the stream ends; an event the stream cut off before its blank line is dropped, as the standard says.</summary>
    /// <param name="stream">The response body.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The events in order.</returns>
    public static async IAsyncEnumerable<ServerSentEvent> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        var data = new StringBuilder();
        string? type = null;
        string? id = null;
        var hasData = false;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                if (hasData)
                {
                    yield return new ServerSentEvent(string.IsNullOrEmpty(type) ? "message" : type, data.ToString(), id);
                }

                data.Clear();
                type = null;
                hasData = false;
                continue;
            }

            if (line[0] == ':')
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? string.Empty : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }

            switch (field)
            {
                case "event":
                    type = value;
                    break;
                case "data":
                    if (hasData)
                    {
                        data.Append('\n');
                    }

                    data.Append(value);
                    hasData = true;
                    break;
                case "id" when !value.Contains('\0', StringComparison.Ordinal):
                    id = value;
                    break;
                default:
                    break;
            }
        }
    }
}
