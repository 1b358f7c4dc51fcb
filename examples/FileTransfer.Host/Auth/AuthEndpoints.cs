using FileTransfer.Host.Http;
using FileTransfer.Host.Transfers;
using GrpcPlugins.Auth.V1;

namespace FileTransfer.Host.Auth;

/// <summary>Sign-in, refresh and sign-out.</summary>
public static class AuthEndpoints
{
    /// <summary>Maps the public routes: login and refresh.</summary>
    /// <param name="v1">The /v1 group.</param>
    public static void MapPublicAuth(this RouteGroupBuilder v1)
    {
        v1.MapPost("/auth/login", async (LoginRequest body, PluginSelector plugins, CancellationToken ct) =>
        {
            if (string.IsNullOrEmpty(body.Username) || string.IsNullOrEmpty(body.Password))
            {
                throw ApiErrors.BadRequest("Send {\"username\": \"...\", \"password\": \"...\"}.");
            }

            var result = await plugins.Auth.AuthenticateAsync(new AuthenticateRequest { Type = AuthType.Password, Username = body.Username, Password = body.Password }, ct);
            return Results.Ok(SessionDto.From(result));
        });

        v1.MapPost("/auth/refresh", async (RefreshBody body, PluginSelector plugins, CancellationToken ct) =>
        {
            if (string.IsNullOrEmpty(body.RefreshToken))
            {
                throw ApiErrors.BadRequest("Send {\"refreshToken\": \"...\"} with the refresh token from the login.");
            }

            return Results.Ok(SessionDto.From(await plugins.Auth.RefreshAsync(body.RefreshToken, ct)));
        });
    }

    /// <summary>Maps the session routes: logout.</summary>
    /// <param name="session">The session-gated group.</param>
    public static void MapSessionAuth(this RouteGroupBuilder session) =>
        session.MapPost("/auth/logout", async (HttpContext http, PluginSelector plugins, CancellationToken ct) =>
        {
            await plugins.Auth.RevokeAsync(http.BearerToken()!, ct);
            return Results.NoContent();
        });
}
