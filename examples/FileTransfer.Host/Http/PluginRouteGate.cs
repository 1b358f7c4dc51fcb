using FileTransfer.Host.Auth;
using GrpcPlugins.Http.V1;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace FileTransfer.Host.Http;

/// <summary>
/// The host's gates for plugin routes under /v1/ext, through the same scheme and policies as the host's own routes
/// (<see cref="SessionAuthentication"/>): a session route needs the session policy, an admin route the admin policy.
/// </summary>
public static class PluginRouteGate
{
    /// <summary>Returns null to let the request through, or the answer that refuses it (the scheme's 401 or 403 problem).</summary>
    /// <param name="http">The request.</param>
    /// <param name="gate">The route's gate.</param>
    /// <returns>Null, or the refusal.</returns>
    public static async ValueTask<IResult?> GateAsync(HttpContext http, RouteGate gate)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (gate == RouteGate.Public)
        {
            return null;
        }

        var authentication = await http.AuthenticateAsync(SessionAuthentication.Scheme);
        if (!authentication.Succeeded)
        {
            return Results.Challenge(authenticationSchemes: [SessionAuthentication.Scheme]);
        }

        var policy = gate == RouteGate.Admin ? SessionAuthentication.AdminPolicy : SessionAuthentication.SessionPolicy;
        var authorization = await http.RequestServices.GetRequiredService<IAuthorizationService>().AuthorizeAsync(authentication.Principal, http, policy);
        if (!authorization.Succeeded)
        {
            return Results.Forbid(authenticationSchemes: [SessionAuthentication.Scheme]);
        }

        http.User = authentication.Principal;
        return null;
    }
}
