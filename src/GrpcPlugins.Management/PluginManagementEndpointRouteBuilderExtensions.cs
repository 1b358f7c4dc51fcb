using GrpcPlugins.Management;
using GrpcPlugins.Management.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Serves plugin management over HTTP.</summary>
public static class PluginManagementEndpointRouteBuilderExtensions
{
    /// <summary>The path the management routes are usually mounted at, and the one the <c>grpcplugins</c> tool calls by default.</summary>
    public const string DefaultPrefix = "/v1/plugins";

    /// <summary>The path the cluster's node routes are usually mounted at.</summary>
    public const string DefaultNodesPrefix = "/v1/nodes";

    /// <summary>
    /// Maps the plugin management routes under <paramref name="prefix"/>: <c>GET</c> (every plugin), <c>GET {name}</c>,
    /// <c>POST upload</c> (install, or upgrade without downtime), <c>PUT {name}</c> (<c>{"status": "running"}</c>,
    /// <c>"stopped"</c> or <c>"disabled"</c>), <c>DELETE {name}</c> (uninstall), <c>PUT {name}/config</c>, and the trusted signing keys: <c>GET keys</c>,
    /// <c>POST keys</c> (a public key's PEM; trusted at once and after restarts) and <c>DELETE keys/{fingerprint}</c> (in cluster mode, the cluster's keys, trusted by every node);
    /// <c>PUT {name}/move</c> (<c>{"position": "front" | "rear" | "before:NAME" | "after:NAME"}</c>, a package plugin's
    /// place among the plugins of its type); <c>GET {name}/roll</c> (cluster mode: the plugin's latest rolling upgrade); and <c>GET {name}/activity?seconds=120</c>, the plugin's calls per second, errors and p50/p99 latency per method
    /// (from the host's own metrics), restarts, state changes, standard error tail, contracts and callback grants. Answers are
    /// camelCase JSON; errors are problem JSON <c>{status, code, message}</c> with the status of the error's
    /// <see cref="GrpcPlugins.PluginErrorCode"/>. The routes are open to anyone who can reach them until the host
    /// protects them: chain <c>.RequireAuthorization("policy")</c> or an endpoint filter of its own on the returned group.
    /// Needs <c>services.AddGrpcPluginsManagement(...)</c>.
    /// </summary>
    /// <param name="endpoints">The application, or a route group of it.</param>
    /// <param name="prefix">Where to mount the routes. Defaults to <c>/v1/plugins</c>.</param>
    /// <returns>The routes' group, for the host to add authorization, filters or metadata.</returns>
    public static RouteGroupBuilder MapGrpcPluginsManagement(this IEndpointRouteBuilder endpoints, string prefix = DefaultPrefix)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        if (endpoints.ServiceProvider.GetService(typeof(PluginManager)) is null)
        {
            throw new InvalidOperationException("MapGrpcPluginsManagement needs the plugin manager: call services.AddGrpcPluginsManagement(...) (after AddGrpcPlugins) when building the host.");
        }

        var group = endpoints.MapGroup(prefix);
        group.MapGet(string.Empty, ManagementEndpoints.ListAsync).AddEndpointFilter(ManagementErrorFilter.InvokeAsync);
        group.MapGet("/{name}", ManagementEndpoints.GetAsync).AddEndpointFilter(ManagementErrorFilter.InvokeAsync);
        group.MapPost("/upload", ManagementEndpoints.UploadAsync).AddEndpointFilter(ManagementErrorFilter.InvokeAsync);
        group.MapPut("/{name}", ManagementEndpoints.SetStatusAsync).AddEndpointFilter(ManagementErrorFilter.InvokeAsync);
        group.MapDelete("/{name}", ManagementEndpoints.UninstallAsync).AddEndpointFilter(ManagementErrorFilter.InvokeAsync);
        group.MapPut("/{name}/config", ManagementEndpoints.SetConfigAsync).AddEndpointFilter(ManagementErrorFilter.InvokeAsync);
        group.MapPut("/{name}/move", GrpcPlugins.Management.Priority.MoveEndpoints.MoveAsync).AddEndpointFilter(ManagementErrorFilter.InvokeAsync);
        group.MapGet("/{name}/activity", GrpcPlugins.Management.Metrics.ActivityEndpoints.Get).AddEndpointFilter(ManagementErrorFilter.InvokeAsync);
        group.MapGet("/{name}/roll", GrpcPlugins.Management.Cluster.ClusterEndpoints.GetRollAsync).AddEndpointFilter(ManagementErrorFilter.InvokeAsync);
        group.MapGet("/keys", GrpcPlugins.Management.Keys.KeyEndpoints.ListAsync).AddEndpointFilter(ManagementErrorFilter.InvokeAsync);
        group.MapPost("/keys", GrpcPlugins.Management.Keys.KeyEndpoints.AddAsync).AddEndpointFilter(ManagementErrorFilter.InvokeAsync);
        group.MapDelete("/keys/{fingerprint}", GrpcPlugins.Management.Keys.KeyEndpoints.RemoveAsync).AddEndpointFilter(ManagementErrorFilter.InvokeAsync);
        return group;
    }

    /// <summary>
    /// Maps the cluster's node routes under <paramref name="prefix"/>, in EMQX's shape: <c>GET</c> (every node that joined,
    /// whether it is alive and when it was last seen) and <c>PUT {node}/plugins/{name}/start</c> or <c>/stop</c> (a
    /// package plugin started or stopped on that node only, overriding the cluster's status until the next cluster-wide
    /// <c>PUT /v1/plugins/{name}</c>). Answers and errors as <see cref="MapGrpcPluginsManagement"/>; with cluster mode off
    /// (<c>PluginManagementOptions.Cluster</c>) <c>GET</c> lists this node alone (<c>"cluster": false</c>) and the per-node
    /// routes answer 409 failed_precondition. Open to anyone who can reach
    /// them until the host protects them, as the plugin routes.
    /// </summary>
    /// <param name="endpoints">The application, or a route group of it.</param>
    /// <param name="prefix">Where to mount the routes. Defaults to <c>/v1/nodes</c>.</param>
    /// <returns>The routes' group, for the host to add authorization, filters or metadata.</returns>
    public static RouteGroupBuilder MapGrpcPluginsNodes(this IEndpointRouteBuilder endpoints, string prefix = DefaultNodesPrefix)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        if (endpoints.ServiceProvider.GetService(typeof(PluginCluster)) is null)
        {
            throw new InvalidOperationException("MapGrpcPluginsNodes needs the plugin manager: call services.AddGrpcPluginsManagement(...) (after AddGrpcPlugins) when building the host.");
        }

        var group = endpoints.MapGroup(prefix);
        group.MapGet(string.Empty, GrpcPlugins.Management.Cluster.ClusterEndpoints.ListNodesAsync).AddEndpointFilter(ManagementErrorFilter.InvokeAsync);
        group.MapPut("/{node}/plugins/{name}/{action}", GrpcPlugins.Management.Cluster.ClusterEndpoints.SetNodeStatusAsync).AddEndpointFilter(ManagementErrorFilter.InvokeAsync);
        return group;
    }
}
