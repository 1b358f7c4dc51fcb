using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>
/// Writes log entries as HashiCorp hclog JSON lines (<c>@level</c>, <c>@message</c>, <c>@module</c>, <c>@timestamp</c>
/// and the entry's values as fields), the format a go-plugin host parses from a plugin's stderr: under such a host the
/// plugin's levels survive instead of arriving all at DEBUG. Used when a go-plugin host started the plugin.
/// </summary>
internal sealed class HclogFormatter() : ConsoleFormatter(Name)
{
    public new const string Name = "hclog";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("@level", Level(logEntry.LogLevel));
            json.WriteString("@message", message ?? string.Empty);
            json.WriteString("@module", logEntry.Category);

            // go-plugin parses exactly this layout: six fractional digits and a zone.
            json.WriteString("@timestamp", DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
            if (logEntry.State is IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    if (key != "{OriginalFormat}" && !key.StartsWith('@'))
                    {
                        json.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture));
                    }
                }
            }

            if (logEntry.Exception is { } exception)
            {
                json.WriteString("error", exception.ToString());
            }

            json.WriteEndObject();
        }

        textWriter.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
        textWriter.Write(Environment.NewLine);
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        _ => "error",
    };
}
