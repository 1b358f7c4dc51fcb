using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GrpcPlugins.Packaging.Internal;

namespace GrpcPlugins.Packaging;

/// <summary>
/// A plugin's configuration against its package's config schema (JSON Schema, validated with NJsonSchema): defaults
/// filled in, every problem reported, and the flat string map a plugin's Init receives.
/// </summary>
public static partial class PluginConfig
{
    /// <summary>Fills in the schema's top-level defaults and checks the result.</summary>
    /// <param name="manifest">The package's manifest, with its config schema.</param>
    /// <param name="config">The configuration; null is an empty one. It is not changed.</param>
    /// <returns>The configuration with defaults.</returns>
    /// <exception cref="PackageException">The schema refuses it (<see cref="PackageProblem.ConfigInvalid"/>); <see cref="PackageException.Reasons"/> lists each reason.</exception>
    public static JsonObject Check(PluginManifest manifest, JsonObject? config)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var result = WithDefaults(manifest.ConfigSchema, config);
        var reasons = Problems(manifest.ConfigSchema, result);
        if (reasons.Count > 0)
        {
            throw new PackageException(PackageProblem.ConfigInvalid, $"The configuration of '{manifest.Name}' does not match its schema: {string.Join("; ", reasons)}. The previous configuration stays in force.")
            {
                Reasons = reasons,
            };
        }

        return result;
    }

    /// <summary>The configuration with each missing top-level property set to the schema's default.</summary>
    /// <param name="schema">The config schema; null when the plugin has none.</param>
    /// <param name="config">The configuration; null is an empty one. It is not changed.</param>
    /// <returns>A new object.</returns>
    public static JsonObject WithDefaults(JsonObject? schema, JsonObject? config)
    {
        var result = (JsonObject?)config?.DeepClone() ?? [];
        if (schema?["properties"] is JsonObject properties)
        {
            foreach (var (name, property) in properties)
            {
                if (!result.ContainsKey(name) && property is JsonObject p && p.TryGetPropertyValue("default", out var value))
                {
                    result[name] = value?.DeepClone();
                }
            }
        }

        return result;
    }

    /// <summary>What the schema finds wrong with a configuration, one line each.</summary>
    /// <param name="schema">The config schema; null accepts any object.</param>
    /// <param name="config">The configuration.</param>
    /// <returns>The problems; empty when it is valid.</returns>
    public static IReadOnlyList<string> Problems(JsonObject? schema, JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (schema is null)
        {
            return [];
        }

        var errors = ConfigSchemaCheck.Load(schema).Validate(config.ToJsonString());
        return [.. errors.Select(e => $"{Where(e.Path, e.Property)} {Words(e.Kind.ToString())}").Order(StringComparer.Ordinal)];
    }

    /// <summary>The flat string map a plugin's Init receives: strings as they are, other values as JSON text.</summary>
    /// <param name="config">The configuration.</param>
    /// <returns>The map.</returns>
    public static Dictionary<string, string> ToStrings(JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.ToDictionary(
            p => p.Key,
            p => p.Value?.GetValueKind() == JsonValueKind.String ? p.Value.GetValue<string>() : p.Value?.ToJsonString() ?? string.Empty,
            StringComparer.Ordinal);
    }

    private static string Where(string? path, string? property) =>
        string.IsNullOrEmpty(path) || path == "#" ? (string.IsNullOrEmpty(property) ? "the configuration:" : $"'{property}':") : $"'{path.TrimStart('#', '/').Replace('/', '.')}':";

    // NJsonSchema names errors like "IntegerExpected"; a person reads "integer expected".
    private static string Words(string kind) => CamelHumps().Replace(kind, " $1").Trim().ToLowerInvariant();

    [GeneratedRegex("([A-Z])")]
    private static partial Regex CamelHumps();
}
