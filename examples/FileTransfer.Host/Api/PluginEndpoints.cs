using System.Text.Json;
using System.Text.Json.Nodes;
using FileTransfer.Host.Services;

namespace FileTransfer.Host.Api;

/// <summary>The admin routes that list, install, start, stop, configure and uninstall plugins (the shapes of EMQX's plugin API).</summary>
public static class PluginEndpoints
{
    /// <summary>Maps the plugin routes.</summary>
    /// <param name="admin">The admin-gated group.</param>
    public static void MapPlugins(this RouteGroupBuilder admin)
    {
        admin.MapGet("/plugins", (PluginManager plugins) => Results.Ok(new PluginListDto(PluginManager.NodeName, plugins.List())));
        admin.MapGet("/plugins/{name}", (string name, PluginManager plugins) => Results.Ok(plugins.Get(name)));
        admin.MapPost("/plugins/upload", async (HttpContext http, PluginManager plugins) =>
        {
            // A new plugin is created; a newer version of an installed one replaces it in place.
            var (plugin, upgradedFrom) = await plugins.InstallAsync(http.Request.Body, http.RequestAborted);
            return upgradedFrom is null ? Results.Created($"/v1/plugins/{plugin.Name}", plugin) : Results.Ok(plugin);
        });
        admin.MapPut("/plugins/{name}", async (string name, HttpContext http, PluginManager plugins) =>
        {
            var body = await ReadObjectAsync(http, "{\"status\": \"running\"}, \"stopped\" or \"disabled\"");
            var status = body["status"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
            return Results.Ok(await plugins.SetStatusAsync(name, status, http.RequestAborted));
        });
        admin.MapDelete("/plugins/{name}", async (string name, HttpContext http, PluginManager plugins) =>
        {
            await plugins.UninstallAsync(name, http.RequestAborted);
            return Results.NoContent();
        });
        admin.MapPut("/plugins/{name}/config", async (string name, HttpContext http, PluginManager plugins) =>
        {
            var config = await ReadObjectAsync(http, "a JSON object of the plugin's settings");
            return Results.Ok(await plugins.SetConfigAsync(name, config, http.RequestAborted));
        });
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpContext http, string expected)
    {
        try
        {
            return await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted) as JsonObject
                ?? throw ApiErrors.BadRequest($"The body must be a JSON object: send {expected}.");
        }
        catch (JsonException ex)
        {
            throw ApiErrors.BadRequest($"The body is not valid JSON ({ex.Message}): send {expected}.");
        }
    }
}
