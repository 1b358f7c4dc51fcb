using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GrpcPlugins.Packaging.Internal;

/// <summary>
/// The JSON Canonicalization Scheme (RFC 8785, JCS): no whitespace; object members sorted by their names' UTF-16 code
/// units; strings with only <c>\"</c>, <c>\\</c>, <c>\b \f \n \r \t</c> and <c>\u00xx</c> (lowercase hex, other
/// controls) escaped and everything else literal; numbers as ECMAScript's Number.prototype.toString writes the
/// IEEE 754 double. The form package signatures cover (docs/packages.md, "Signature format"). No NuGet package
/// implements it; this is the whole algorithm, tested with the RFC's own examples.
/// </summary>
internal static class Rfc8785
{
    public static byte[] Write(JsonNode node, string? skipTopLevel = null)
    {
        var text = new StringBuilder();
        Append(text, node, skipTopLevel);
        // Strict UTF-8: a lone surrogate cannot be signed (RFC 8785 section 3.2.2.2 requires valid Unicode).
        return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetBytes(text.ToString());
    }

    /// <summary>An IEEE 754 double as ECMAScript writes it (ECMA-262, Number::toString), as RFC 8785 section 3.2.2.3 asks.</summary>
    public static string Number(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new JsonException($"{value} is not a JSON number; RFC 8785 has no form for it.");
        }

        if (value == 0)
        {
            return "0";
        }

        // .NET's round-trip form holds the shortest digits that read back as the same double, as ECMAScript's does;
        // only their layout differs. Value = 0.digits x 10^point.
        var roundTrip = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var exponentAt = roundTrip.IndexOf('E', StringComparison.Ordinal);
        var exponent = exponentAt < 0 ? 0 : int.Parse(roundTrip[(exponentAt + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var mantissa = exponentAt < 0 ? roundTrip : roundTrip[..exponentAt];
        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var digits = dot < 0 ? mantissa : mantissa.Remove(dot, 1);
        var point = (dot < 0 ? mantissa.Length : dot) + exponent;
        var leadingZeros = digits.Length - digits.TrimStart('0').Length;
        digits = digits.Trim('0');
        point -= leadingZeros;
        var k = digits.Length;
        var written = point switch
        {
            _ when k <= point && point <= 21 => digits + new string('0', point - k),
            > 0 and <= 21 => digits[..point] + "." + digits[point..],
            > -6 and <= 0 => "0." + new string('0', -point) + digits,
            _ => (k == 1 ? digits : digits[..1] + "." + digits[1..]) + "e" + (point - 1 < 0 ? "-" : "+") + Math.Abs(point - 1).ToString(CultureInfo.InvariantCulture),
        };
        return value < 0 ? "-" + written : written;
    }

    private static void Append(StringBuilder text, JsonNode? node, string? skip)
    {
        switch (node)
        {
            case null:
                text.Append("null");
                break;
            case JsonObject obj:
                text.Append('{');
                var first = true;
                foreach (var (key, value) in obj.Where(p => p.Key != skip).OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    text.Append(first ? string.Empty : ",");
                    first = false;
                    AppendString(text, key);
                    text.Append(':');
                    Append(text, value, null);
                }

                text.Append('}');
                break;
            case JsonArray array:
                text.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    text.Append(i == 0 ? string.Empty : ",");
                    Append(text, array[i], null);
                }

                text.Append(']');
                break;
            default:
                switch (node.GetValueKind())
                {
                    case JsonValueKind.String:
                        AppendString(text, node.GetValue<string>());
                        break;
                    case JsonValueKind.Number:
                        text.Append(Number(double.Parse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)));
                        break;
                    case JsonValueKind.True:
                        text.Append("true");
                        break;
                    case JsonValueKind.False:
                        text.Append("false");
                        break;
                    default:
                        text.Append("null");
                        break;
                }

                break;
        }
    }

    private static void AppendString(StringBuilder text, string value)
    {
        text.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case < ' ': text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: text.Append(c); break;
            }
        }

        text.Append('"');
    }
}
