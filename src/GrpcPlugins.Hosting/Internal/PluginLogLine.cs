using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// Forwards one stderr line of a plugin to the host's log. A JSON log line of the SDK (the JSON console format) keeps
/// its level, category, message and exception, in a scope with the plugin's name, process id and trace id; any other
/// line, such as a crashed runtime's stack trace, is logged as it is.
/// </summary>
internal static class PluginLogLine
{
    public static void Forward(ILogger logger, string plugin, int pid, string line)
    {
        if (!TryParse(line, out var level, out var category, out var message, out var traceId))
        {
            HostingLog.PluginStderr(logger, plugin, line);
            return;
        }

        using var scope = logger.BeginScope(new Dictionary<string, object?>
        {
            ["Plugin"] = plugin,
            ["PluginPid"] = pid,
            ["TraceId"] = traceId,
        });
        HostingLog.PluginLog(logger, level, plugin, category, message);
    }

    private static bool TryParse(string line, out LogLevel level, out string category, out string message, out string? traceId)
    {
        (level, category, message, traceId) = (LogLevel.Information, string.Empty, string.Empty, null);
        if (!line.StartsWith('{'))
        {
            return false;
        }

        try
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("LogLevel", out var levelText) || !Enum.TryParse(levelText.GetString(), out level)
                || !root.TryGetProperty("Message", out var text) || text.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            message = text.GetString()!;
            category = root.TryGetProperty("Category", out var named) && named.ValueKind == JsonValueKind.String ? named.GetString()! : string.Empty;
            if (root.TryGetProperty("Exception", out var exception) && exception.ValueKind == JsonValueKind.String)
            {
                message += Environment.NewLine + exception.GetString();
            }

            if (root.TryGetProperty("Scopes", out var scopes) && scopes.ValueKind == JsonValueKind.Array)
            {
                traceId = scopes.EnumerateArray()
                    .Where(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("TraceId", out _))
                    .Select(s => s.GetProperty("TraceId").ToString())
                    .FirstOrDefault();
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
