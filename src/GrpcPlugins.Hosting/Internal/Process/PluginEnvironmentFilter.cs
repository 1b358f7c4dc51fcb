using System.Collections;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>Which of the host's environment variables a plugin inherits: only those an allow-list names.</summary>
internal static class PluginEnvironmentFilter
{
    private static readonly StringComparison NameComparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>Whether a variable's name matches a pattern: exactly, or by prefix when the pattern ends in <c>*</c>.</summary>
    public static bool IsAllowed(string name, IEnumerable<string> patterns) =>
        patterns.Any(pattern => pattern.EndsWith('*')
            ? name.StartsWith(pattern.AsSpan(0, pattern.Length - 1).ToString(), NameComparison)
            : name.Equals(pattern, NameComparison));

    /// <summary>The host variables a plugin inherits.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Inherited(GrpcPluginsOptions host, IDictionary hostEnvironment)
    {
        var configured = host.EnvironmentAllowList.Where(p => !string.IsNullOrWhiteSpace(p)).ToList();
        foreach (DictionaryEntry entry in hostEnvironment)
        {
            if (entry is { Key: string name, Value: string value }
                && (IsAllowed(name, configured) || (IsAllowed(name, GrpcPluginsOptions.DefaultEnvironmentAllowList) && !IsWithheld(name))))
            {
                yield return new(name, value);
            }
        }
    }

    // OTEL_EXPORTER_OTLP_HEADERS and its per-signal variants often carry a collector's API key: the default OTEL_*
    // does not pass them; the host's own allow-list must name them.
    private static bool IsWithheld(string name) =>
        name.StartsWith("OTEL_EXPORTER_OTLP_", NameComparison) && name.EndsWith("_HEADERS", NameComparison);
}
