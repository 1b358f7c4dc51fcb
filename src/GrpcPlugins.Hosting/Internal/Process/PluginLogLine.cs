using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// Forwards the stderr lines of one plugin process to the host's log, each in a scope with the plugin's name, process id
/// and, for the SDK's lines, trace id. A JSON log line of the SDK (the JSON console format) keeps its level, category,
/// message and exception; a JSON line of HashiCorp hclog (go-plugin's logger: <c>@level</c>, <c>@message</c>,
/// <c>@module</c>, <c>@timestamp</c> and the entry's own fields) keeps its level and module, its fields appended as key=value. A crash report, the lines a dying runtime writes from "Unhandled exception." (.NET), "panic:"
/// (Go) or "Traceback" (Python) on, becomes one Error entry. Any other line is logged as it is.
/// </summary>
internal sealed class PluginLogLine(ILogger logger, string plugin, int pid)
{
    /// <summary>How long a crash report may pause before it is logged as complete, when the process does not exit.</summary>
    public static readonly TimeSpan CrashReportQuiet = TimeSpan.FromSeconds(1);

    // A runaway report is logged in parts rather than held in memory.
    private const int MaxCrashReportLines = 500;

    private static readonly string[] CrashStarts =
        ["Unhandled exception.", "Unhandled Exception:", "Process terminated.", "panic:", "fatal error:", "Traceback (most recent call last):", "Exception in thread "];

    private readonly List<string> _crash = [];

    /// <summary>Whether a crash report is being collected; the caller flushes it with <see cref="Flush"/> after a quiet spell.</summary>
    public bool CollectingCrashReport => _crash.Count > 0;

    public void Forward(string line)
    {
        var parsed = TryParse(line, out var level, out var category, out var message, out var traceId);
        if (_crash.Count > 0 && !parsed && !IsCrashStart(line))
        {
            _crash.Add(line);
            if (_crash.Count >= MaxCrashReportLines)
            {
                Flush();
            }

            return;
        }

        Flush();
        if (!parsed && IsCrashStart(line))
        {
            _crash.Add(line);
            return;
        }

        using var scope = Scope(traceId);
        if (parsed)
        {
            HostingLog.PluginLog(logger, level, plugin, category, message);
        }
        else
        {
            HostingLog.PluginStderr(logger, plugin, line);
        }
    }

    /// <summary>Logs the crash report collected so far, if any: at the end of stderr, or when it went quiet.</summary>
    public void Flush()
    {
        if (_crash.Count == 0)
        {
            return;
        }

        var report = string.Join(Environment.NewLine, _crash);
        _crash.Clear();
        using var scope = Scope(null);
        HostingLog.PluginCrashReport(logger, plugin, pid, Environment.NewLine, report);
    }

    private static bool IsCrashStart(string line) => CrashStarts.Any(start => line.StartsWith(start, StringComparison.Ordinal));

    private IDisposable? Scope(string? traceId) => logger.BeginScope(new Dictionary<string, object?>
    {
        ["Plugin"] = plugin,
        ["PluginPid"] = pid,
        ["TraceId"] = traceId,
    });

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
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("@level", out var hclogLevel))
            {
                return TryParseHclog(root, hclogLevel, out level, out category, out message);
            }

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

    private static bool TryParseHclog(JsonElement root, JsonElement levelText, out LogLevel level, out string category, out string message)
    {
        level = (levelText.ValueKind == JsonValueKind.String ? levelText.GetString() : null)?.ToLowerInvariant() switch
        {
            "trace" => LogLevel.Trace,
            "debug" => LogLevel.Debug,
            "info" => LogLevel.Information,
            "warn" or "warning" => LogLevel.Warning,
            "error" => LogLevel.Error,
            _ => LogLevel.Information,
        };
        category = root.TryGetProperty("@module", out var module) && module.ValueKind == JsonValueKind.String ? module.GetString()! : string.Empty;
        if (!root.TryGetProperty("@message", out var text) || text.ValueKind != JsonValueKind.String)
        {
            message = string.Empty;
            return false;
        }

        var fields = root.EnumerateObject()
            .Where(p => !p.Name.StartsWith('@'))
            .Select(p => $"{p.Name}={(p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText())}");
        message = string.Join(' ', fields.Prepend(text.GetString()!));
        return true;
    }
}
