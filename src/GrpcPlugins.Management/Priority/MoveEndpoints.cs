using System.Text.Json;
using System.Text.Json.Nodes;
using GrpcPlugins.Management.Internal;
using Microsoft.AspNetCore.Http;

namespace GrpcPlugins.Management.Priority;

/// <summary>
/// <c>PUT {name}/move</c> with <c>{"position": "front" | "rear" | "before:NAME" | "after:NAME"}</c>, as EMQX's plugin API
/// moves a plugin in its chain: the package plugin gets a priority that puts it there among the plugins of its type,
/// saved with its state (it survives restarts and upgrades keep it) and in force at once for a running plugin.
/// </summary>
internal static class MoveEndpoints
{
    private const string Expected = "{\"position\": \"front\"}, \"rear\", \"before:NAME\" or \"after:NAME\"";

    public static async Task<IResult> MoveAsync(string name, HttpContext http, PluginManager plugins, PluginCluster cluster)
    {
        JsonObject? body;
        try
        {
            body = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted) as JsonObject;
        }
        catch (JsonException ex)
        {
            throw ManagementProblems.BadRequest($"The body is not valid JSON ({ex.Message}): send {Expected}.");
        }

        var position = body?["position"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
        var plugin = plugins.Get(name);
        if (plugin.Source != "package")
        {
            throw PluginException.FromHost(PluginErrorCode.FailedPrecondition, $"'{plugin.Name}' is a built-in plugin: its priority is Plugins:{plugin.Name}:Priority in the host's configuration, not moved at run time.", plugin.Name);
        }

        // The list is sorted by type, priority, then name: the order the host calls a chain in.
        var peers = plugins.List().Where(p => p.Type == plugin.Type && !string.Equals(p.Name, plugin.Name, StringComparison.OrdinalIgnoreCase)).ToList();
        var priority = position switch
        {
            "front" => peers.Count == 0 ? plugin.Priority : Math.Min(plugin.Priority, peers.Min(p => p.Priority) - 1),
            "rear" => peers.Count == 0 ? plugin.Priority : Math.Max(plugin.Priority, peers.Max(p => p.Priority) + 1),
            not null when position.StartsWith("before:", StringComparison.Ordinal) => Peer(peers, plugin, position["before:".Length..]).Priority - 1,
            not null when position.StartsWith("after:", StringComparison.Ordinal) => Peer(peers, plugin, position["after:".Length..]).Priority + 1,
            _ => throw ManagementProblems.BadRequest($"\"position\" is {(position is null ? "missing" : $"\"{position}\"")}: send {Expected}."),
        };

        plugins.Directory.Store.Change(plugin.Name, state => state with { Priority = priority });
        plugins.ApplyPriority(plugin.Name, priority);
        if (cluster.IsEnabled)
        {
            // Every node takes the new place from the catalog.
            await cluster.SavePriorityAsync(plugin.Name, priority, http.RequestAborted);
        }

        return Results.Json(plugins.Get(plugin.Name), ManagementProblems.Json);
    }

    private static ManagedPlugin Peer(List<ManagedPlugin> peers, ManagedPlugin plugin, string other) =>
        peers.FirstOrDefault(p => string.Equals(p.Name, other, StringComparison.OrdinalIgnoreCase))
        ?? throw PluginException.FromHost(PluginErrorCode.NotFound, $"There is no other {plugin.Type} plugin named '{other}' to move '{plugin.Name}' next to; the {plugin.Type} plugins are {(peers.Count == 0 ? "none besides it" : string.Join(", ", peers.Select(p => p.Name)))}.", plugin.Name);
}
