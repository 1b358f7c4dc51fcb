using System.Text;
using System.Text.Json.Nodes;
using GrpcPlugins.Management.Internal;
using Microsoft.AspNetCore.Http;

namespace GrpcPlugins.Management.Keys;

/// <summary>The handlers of the trusted-key routes: <c>GET keys</c>, <c>POST keys</c> and <c>DELETE keys/{fingerprint}</c>.</summary>
internal static class KeyEndpoints
{
    private const string Expected = "the public key's PEM text (Content-Type: application/x-pem-file or text/plain), or {\"publicKey\": \"<PEM>\"} as JSON";

    // Keys are read back from the text a person would paste; the PEM of each is in the answer so another host can copy it.
    public static IResult List(PluginManager plugins) => Results.Json(new { keys = plugins.Keys.List().Select(Describe) }, ManagementProblems.Json);

    public static async Task<IResult> AddAsync(HttpContext http, PluginManager plugins)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(http.RequestAborted);
        if (http.Request.HasJsonContentType())
        {
            text = (JsonNode.Parse(text) as JsonObject)?["publicKey"] is JsonValue value && value.TryGetValue<string>(out var pem)
                ? pem
                : throw ManagementProblems.BadRequest($"The JSON body has no \"publicKey\" string: send {Expected}.");
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            throw ManagementProblems.BadRequest($"The body is empty: send {Expected}.");
        }

        var before = plugins.Keys.List().Count;
        var key = plugins.Keys.Add(text);
        return Results.Json(Describe(key), ManagementProblems.Json, statusCode: plugins.Keys.List().Count > before ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    public static IResult Remove(string fingerprint, PluginManager plugins) => Results.Json(Describe(plugins.Keys.Remove(fingerprint)), ManagementProblems.Json);

    private static object Describe(TrustedKey key) => new { fingerprint = key.Fingerprint, source = key.Source, addedAt = key.AddedAt, publicKey = key.PublicKey };
}
