using System.Text.Json;
using System.Text.Json.Nodes;
using GrpcPlugins.Packaging;
using Microsoft.AspNetCore.Http;

namespace GrpcPlugins.Management.Internal;

/// <summary>The handlers of the management routes (the shapes of EMQX's plugin API).</summary>
internal static class ManagementEndpoints
{
    private const string StatusBody = "{\"status\": \"running\"}, \"stopped\" or \"disabled\"";

    // In cluster mode each plugin's nodeStatus has every node; the rest is this node's view.
    public static async Task<IResult> ListAsync(HttpContext http, PluginManager plugins, PluginCluster cluster) =>
        Ok(new ManagedPluginList(plugins.NodeName, cluster.IsEnabled ? await cluster.WithNodesAsync(plugins.List(), http.RequestAborted) : plugins.List()));

    public static async Task<IResult> GetAsync(string name, HttpContext http, PluginManager plugins, PluginCluster cluster) =>
        Ok(cluster.IsEnabled ? (await cluster.WithNodesAsync([plugins.Get(name)], http.RequestAborted))[0] : plugins.Get(name));

    // A new plugin is created (201, with its address); a newer version of an installed one replaces it in place (200).
    // In cluster mode the package goes into the cluster's catalog, and an upgrade rolls node by node.
    public static async Task<IResult> UploadAsync(HttpContext http, PluginManager plugins, PluginCluster cluster)
    {
        var accept = string.Equals(http.Request.Query["acceptPermissions"], "true", StringComparison.OrdinalIgnoreCase);
        var (plugin, upgradedFrom) = cluster.IsEnabled
            ? await cluster.InstallAsync(http.Request.Body, accept, http.RequestAborted)
            : await plugins.InstallAsync(http.Request.Body, http.RequestAborted, accept);
        if (upgradedFrom is not null)
        {
            return Ok(plugin);
        }

        // The group's own path, wherever the host mounted it: this request's path without "/upload".
        var path = http.Request.PathBase.Add(http.Request.Path).Value!;
        var basePath = path[..path.LastIndexOf('/')];
        http.Response.Headers.Location = $"{basePath}/{Uri.EscapeDataString(plugin.Name)}";
        return Results.Json(plugin, ManagementProblems.Json, statusCode: StatusCodes.Status201Created);
    }

    public static async Task<IResult> SetStatusAsync(string name, HttpContext http, PluginManager plugins, PluginCluster cluster)
    {
        if (NotJson(http, StatusBody) is { } refused)
        {
            return refused;
        }

        var body = await ReadObjectAsync(http, StatusBody);
        var status = body["status"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
        var wanted = status switch
        {
            "running" => InstalledStatus.Running,
            "stopped" => InstalledStatus.Stopped,
            "disabled" => InstalledStatus.Disabled,
            _ => throw ManagementProblems.BadRequest($"\"status\" is {(status is null ? "missing" : $"\"{status}\"")}: send {StatusBody}."),
        };
        // A built-in plugin comes from each node's own configuration: it is started and stopped on this node only.
        return Ok(cluster.IsEnabled && !plugins.IsBuiltin(name)
            ? await cluster.SetStatusAsync(name, wanted, http.RequestAborted)
            : await plugins.SetStatusAsync(name, wanted, http.RequestAborted));
    }

    public static async Task<IResult> UninstallAsync(string name, HttpContext http, PluginManager plugins, PluginCluster cluster)
    {
        if (cluster.IsEnabled && !plugins.IsBuiltin(name))
        {
            await cluster.UninstallAsync(name, http.RequestAborted);
        }
        else
        {
            await plugins.UninstallAsync(name, http.RequestAborted);
        }

        return Results.NoContent();
    }

    public static async Task<IResult> SetConfigAsync(string name, HttpContext http, PluginManager plugins, PluginCluster cluster)
    {
        if (NotJson(http, "a JSON object of the plugin's settings") is { } refused)
        {
            return refused;
        }

        var config = await ReadObjectAsync(http, "a JSON object of the plugin's settings");
        return Ok(cluster.IsEnabled && !plugins.IsBuiltin(name)
            ? await cluster.SetConfigAsync(name, config, http.RequestAborted)
            : await plugins.SetConfigAsync(name, config, http.RequestAborted));
    }

    // A body sent as another media type (a form, plain text) is answered 415; one sent with no Content-Type is read as JSON.
    private static IResult? NotJson(HttpContext http, string expected) =>
        string.IsNullOrEmpty(http.Request.ContentType) || http.Request.HasJsonContentType()
            ? null
            : PluginProblems.For(
                StatusCodes.Status415UnsupportedMediaType,
                PluginErrorCode.InvalidArgument,
                $"The body is sent as '{http.Request.ContentType}'; send {expected} with Content-Type: application/json.");

    internal static IResult Ok(object value) => Results.Json(value, ManagementProblems.Json);

    private static async Task<JsonObject> ReadObjectAsync(HttpContext http, string expected)
    {
        try
        {
            return await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted) as JsonObject
                ?? throw ManagementProblems.BadRequest($"The body must be a JSON object: send {expected}.");
        }
        catch (JsonException ex)
        {
            throw ManagementProblems.BadRequest($"The body is not valid JSON ({ex.Message}): send {expected}.");
        }
    }
}
