using System.Text;
using System.Text.Json.Nodes;
using GrpcPlugins.Management.Internal;
using Microsoft.AspNetCore.Http;

namespace GrpcPlugins.Management.Keys;

/// <summary>
/// The handlers of the trusted-key routes: <c>GET keys</c>, <c>POST keys</c> and <c>DELETE keys/{fingerprint}</c>; in
/// cluster mode they list and change the cluster's keys (<see cref="PluginCluster"/>), which every node applies.
/// </summary>
internal static class KeyEndpoints
{
    private const string Expected = "the public key's PEM text (Content-Type: application/x-pem-file or text/plain), or {\"publicKey\": \"<PEM>\"} as JSON";

    // Keys are read back from the text a person would paste; the PEM of each is in the answer so another host can copy it.
    public static async Task<IResult> ListAsync(HttpContext http, PluginManager plugins, PluginCluster cluster) =>
        Results.Json(new { keys = (cluster.IsEnabled ? await cluster.ListKeysAsync(http.RequestAborted) : plugins.Keys.List()).Select(Describe) }, ManagementProblems.Json);

    public static async Task<IResult> AddAsync(HttpContext http, PluginManager plugins, PluginCluster cluster)
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

        bool added;
        TrustedKey key;
        if (cluster.IsEnabled)
        {
            (key, added) = await cluster.AddKeyAsync(text, http.RequestAborted);
        }
        else
        {
            var before = plugins.Keys.List().Count;
            key = plugins.Keys.Add(text);
            added = plugins.Keys.List().Count > before;
        }

        return Results.Json(Describe(key), ManagementProblems.Json, statusCode: added ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    public static async Task<IResult> RemoveAsync(string fingerprint, HttpContext http, PluginManager plugins, PluginCluster cluster) =>
        Results.Json(Describe(cluster.IsEnabled ? await cluster.RemoveKeyAsync(fingerprint, http.RequestAborted) : plugins.Keys.Remove(fingerprint)), ManagementProblems.Json);

    private static object Describe(TrustedKey key) => new { fingerprint = key.Fingerprint, source = key.Source, addedAt = key.AddedAt, publicKey = key.PublicKey };
}
