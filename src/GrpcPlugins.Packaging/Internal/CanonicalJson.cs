using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GrpcPlugins.Packaging.Internal;

/// <summary>
/// The first signature format's byte form of a JSON value (signatures without <c>signature.canonicalization</c>):
/// keys sorted by ordinal, no whitespace, strings and numbers as System.Text.Json writes them. It equals RFC 8785 for
/// manifests of whole numbers and strings without control characters or characters beyond U+FFFF; kept so that
/// packages signed before RFC 8785 still verify. New signatures cover <see cref="Rfc8785"/>.
/// </summary>
internal static class CanonicalJson
{
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Write(JsonNode node, string? skipTopLevel = null)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            WriteNode(writer, node, skipTopLevel);
        }

        return buffer.ToArray();
    }

    private static void WriteNode(Utf8JsonWriter writer, JsonNode? node, string? skip)
    {
        switch (node)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (key, value) in obj.Where(p => p.Key != skip).OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(key);
                    WriteNode(writer, value, null);
                }

                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    WriteNode(writer, item, null);
                }

                writer.WriteEndArray();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }
}
