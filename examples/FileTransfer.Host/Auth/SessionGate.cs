using FileTransfer.Host.Http;
using FileTransfer.Host.Transfers;
using GrpcPlugins;
using GrpcPlugins.Auth.V1;
using GrpcPlugins.Hosting;
using Microsoft.Extensions.Options;
using Action = GrpcPlugins.Auth.V1.Action;

namespace FileTransfer.Host.Auth;

/// <summary>
/// Gates a route group, as Stratos gates its session routes: the bearer token must be valid, and the auth plugin's
/// Authorize must allow the action that the HTTP method implies (or the admin action for admin routes).
/// </summary>
public static class SessionGate
{
    private const string UserKey = "ft.user";

    /// <summary>Requires a session whose role allows the method's action.</summary>
    /// <param name="group">The routes to gate.</param>
    /// <returns>The same routes.</returns>
    public static RouteGroupBuilder RequireSession(this RouteGroupBuilder group) => group.AddEndpointFilter((ctx, next) => GateAsync(ctx, next, admin: false));

    /// <summary>Requires a session whose role allows the admin action.</summary>
    /// <param name="group">The routes to gate.</param>
    /// <returns>The same routes.</returns>
    public static RouteGroupBuilder RequireAdmin(this RouteGroupBuilder group) => group.AddEndpointFilter((ctx, next) => GateAsync(ctx, next, admin: true));

    /// <summary>The signed-in user of the request.</summary>
    /// <param name="context">The request.</param>
    /// <returns>The user the auth plugin named.</returns>
    public static User SessionUser(this HttpContext context) => (User)context.Items[UserKey]!;

    /// <summary>The request's bearer token, or null.</summary>
    /// <param name="context">The request.</param>
    /// <returns>The token.</returns>
    public static string? BearerToken(this HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7 ? header[7..].Trim() : null;
    }

    /// <summary>The action an HTTP method implies.</summary>
    /// <param name="method">The HTTP method.</param>
    /// <returns>The action.</returns>
    public static Action ActionFor(string method) => method switch
    {
        "GET" or "HEAD" => Action.Read,
        "DELETE" => Action.Delete,
        _ => Action.Write,
    };

    private static async ValueTask<object?> GateAsync(EndpointFilterInvocationContext ctx, EndpointFilterDelegate next, bool admin)
    {
        var http = ctx.HttpContext;
        var token = http.BearerToken();
        if (token is null)
        {
            return ApiErrors.Problem(PluginErrorCode.Unauthenticated, "This route needs a session: sign in with POST /v1/auth/login and send the token as 'Authorization: Bearer <token>'.");
        }

        var auth = http.RequestServices.GetRequiredService<PluginSelector>().Auth;
        var action = admin ? Action.Admin : ActionFor(http.Request.Method);
        AuthorizeResponse decision;
        try
        {
            decision = await auth.AuthorizeAsync(token, http.Request.Path, action, http.RequestAborted);
        }
        catch (PluginException ex) when (ex.Code == PluginErrorCode.Unauthenticated)
        {
            return ApiErrors.Problem(PluginErrorCode.Unauthenticated, $"The token is not valid: {ex.Message} Sign in again.");
        }

        if (!decision.Allowed)
        {
            var reason = string.IsNullOrEmpty(decision.Reason) ? string.Empty : $" ({decision.Reason})";
            return ApiErrors.Problem(PluginErrorCode.PermissionDenied, $"User '{decision.User?.Username}' may not {action.ToString().ToLowerInvariant()} here{reason}.");
        }

        http.Items[UserKey] = decision.User ?? new User();
        FileTransfer.Host.Http.SessionPrincipal.SetUser(http, decision.User ?? new User());
        using (PluginContext.Begin(new PluginContext(UserId: decision.User?.Id)))
        {
            return await next(ctx);
        }
    }
}
