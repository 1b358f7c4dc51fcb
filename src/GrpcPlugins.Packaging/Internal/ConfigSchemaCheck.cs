using System.Text.Json;
using System.Text.Json.Nodes;
using NJsonSchema;

namespace GrpcPlugins.Packaging.Internal;

/// <summary>Checks that a package's config schema is one the host can use, and loads it.</summary>
internal static class ConfigSchemaCheck
{
    public static IEnumerable<string> Problems(JsonObject schema)
    {
        if (schema["type"] is not { } type || type.GetValueKind() != JsonValueKind.String || type.GetValue<string>() != "object")
        {
            yield return "must have \"type\": \"object\": a plugin's configuration is a JSON object of settings.";
        }

        // A remote $ref would make loading the schema fetch from the network; a package must carry its whole schema.
        if (Refs(schema).FirstOrDefault(r => !r.StartsWith('#')) is { } remote)
        {
            yield return $"refers to \"{remote}\": only local references (\"#/...\") are allowed, so the package carries its whole schema.";
            yield break;
        }

        string? loadProblem = null;
        try
        {
            Load(schema);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            loadProblem = $"is not a JSON Schema the host can read: {ex.Message}";
        }

        if (loadProblem is not null)
        {
            yield return loadProblem;
        }
    }

    public static JsonSchema Load(JsonObject schema) =>
        JsonSchema.FromJsonAsync(schema.ToJsonString()).GetAwaiter().GetResult();

    private static IEnumerable<string> Refs(JsonNode? node) => node switch
    {
        JsonObject obj => obj.SelectMany(p => p.Key == "$ref" && p.Value?.GetValueKind() == JsonValueKind.String
            ? [p.Value.GetValue<string>()]
            : Refs(p.Value)),
        JsonArray array => array.SelectMany(Refs),
        _ => [],
    };
}
