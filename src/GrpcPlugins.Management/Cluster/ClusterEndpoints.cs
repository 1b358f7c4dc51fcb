using GrpcPlugins.Management.Internal;
using GrpcPlugins.Packaging;
using Microsoft.AspNetCore.Http;

namespace GrpcPlugins.Management.Cluster;

/// <summary>The handlers of the cluster's routes: the nodes, per-node start and stop (EMQX's <c>PUT /nodes/{node}/plugins/{name}</c>), and rolls.</summary>
internal static class ClusterEndpoints
{
    public static async Task<IResult> ListNodesAsync(HttpContext http, PluginCluster cluster) =>
        ManagementEndpoints.Ok(new { node = cluster.NodeName, cluster = cluster.IsEnabled, nodes = await cluster.ListNodesAsync(http.RequestAborted) });

    public static async Task<IResult> SetNodeStatusAsync(string node, string name, string action, HttpContext http, PluginCluster cluster)
    {
        var status = action switch
        {
            "start" => InstalledStatus.Running,
            "stop" => InstalledStatus.Stopped,
            _ => throw ManagementProblems.BadRequest($"'{action}' is not an action on a node's plugin: PUT /v1/nodes/{node}/plugins/{name}/start or /stop."),
        };
        return ManagementEndpoints.Ok(await cluster.SetNodeStatusAsync(node, name, status, http.RequestAborted));
    }

    public static async Task<IResult> GetRollAsync(string name, HttpContext http, PluginCluster cluster) =>
        ManagementEndpoints.Ok(await cluster.GetRollAsync(name, http.RequestAborted));
}
