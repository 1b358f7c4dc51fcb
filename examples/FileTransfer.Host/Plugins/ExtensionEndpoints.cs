using FileTransfer.Host.Auth;
using GrpcPlugins.AspNetCore;
using GrpcPlugins.Http.V1;

namespace FileTransfer.Host.Plugins;

/// <summary>
/// <c>GET /v1/extensions</c> (admins): the routes each route plugin declared, as mounted under <c>/v1/ext</c> or refused,
/// and where each middleware plugin runs, for the dashboard's plugin list.
/// </summary>
public static class ExtensionEndpoints
{
    /// <summary>Maps <c>GET /v1/extensions</c>, admin-gated.</summary>
    /// <param name="app">The application's routes.</param>
    public static void MapPluginExtensions(this IEndpointRouteBuilder app) =>
        app.MapGroup("/v1/extensions").RequireAuthorization(SessionAuthentication.AdminPolicy).MapGet(string.Empty, async (IPluginRouteTable routes, IPluginMiddlewarePositions middleware, CancellationToken ct) =>
        {
            var listed = await routes.GetRoutesAsync(ct);
            return Results.Ok(new
            {
                routes = listed.Select(r => new { plugin = r.Plugin, method = r.Method, path = r.Path, gate = Gate(r.Gate), refused = r.RefusedReason }),
                middleware = middleware.Positions.OrderBy(p => p.Key, StringComparer.Ordinal)
                    .Select(p => new { plugin = p.Key, stage = Stage(p.Value.Stage), priority = p.Value.Priority }),
            });
        });

    private static string Gate(RouteGate gate) => gate switch
    {
        RouteGate.Public => "public",
        RouteGate.Session => "session",
        RouteGate.Admin => "admin",
        _ => "unspecified",
    };

    private static string Stage(MiddlewareStage stage) => stage switch
    {
        MiddlewareStage.BeforeSession => "before session",
        MiddlewareStage.AfterSession => "after session",
        _ => "unspecified",
    };
}
