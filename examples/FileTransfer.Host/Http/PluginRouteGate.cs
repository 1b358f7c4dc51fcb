using FileTransfer.Host.Auth;
using FileTransfer.Host.Transfers;
using GrpcPlugins;
using GrpcPlugins.Http.V1;
using Action = GrpcPlugins.Auth.V1.Action;

namespace FileTransfer.Host.Http;

/// <summary>
/// The host's gates for plugin routes under /v1/ext, the same checks as <see cref="SessionGate"/>: a session route needs
/// a token the auth plugin authorizes for the method's action, an admin route the admin action.
/// </summary>
public static class PluginRouteGate
{
    /// <summary>Returns null to let the request through, or the problem to answer with.</summary>
    /// <param name="http">The request.</param>
    /// <param name="gate">The route's gate.</param>
    /// <returns>Null, or the problem.</returns>
    public static async ValueTask<IResult?> GateAsync(HttpContext http, RouteGate gate)
    {
        if (gate == RouteGate.Public)
        {
            return null;
        }

        var token = http.BearerToken();
        if (token is null)
        {
            return ApiErrors.Problem(PluginErrorCode.Unauthenticated, "This route needs a session: sign in with POST /v1/auth/login and send the token as 'Authorization: Bearer <token>'.");
        }

        var action = gate == RouteGate.Admin ? Action.Admin : SessionGate.ActionFor(http.Request.Method);
        try
        {
            var decision = await http.RequestServices.GetRequiredService<PluginSelector>().Auth.AuthorizeAsync(token, http.Request.Path, action, http.RequestAborted);
            if (!decision.Allowed)
            {
                return ApiErrors.Problem(PluginErrorCode.PermissionDenied, $"User '{decision.User?.Username}' may not {action.ToString().ToLowerInvariant()} here.");
            }

            http.SetUser(decision.User ?? new GrpcPlugins.Auth.V1.User());
            return null;
        }
        catch (PluginException ex) when (ex.Code == PluginErrorCode.Unauthenticated)
        {
            return ApiErrors.Problem(PluginErrorCode.Unauthenticated, $"The token is not valid: {ex.Message} Sign in again.");
        }
    }
}
