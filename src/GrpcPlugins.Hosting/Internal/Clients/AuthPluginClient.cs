using GrpcPlugins.Auth.V1;

namespace GrpcPlugins.Hosting.Internal;

internal sealed class AuthPluginClient(PluginClient plugin) : IAuthPlugin
{
    public Task<AuthResult> AuthenticateAsync(AuthenticateRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return plugin.CallAsync(async (invoker, ct) =>
            RequireResult((await new AuthService.AuthServiceClient(invoker).AuthenticateAsync(request, cancellationToken: ct)).Result, "Authenticate"),
            cancellationToken);
    }

    public Task<AuthorizeResponse> AuthorizeAsync(string token, string resource, Auth.V1.Action action, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(resource);
        return plugin.CallAsync(async (invoker, ct) =>
            await new AuthService.AuthServiceClient(invoker).AuthorizeAsync(new AuthorizeRequest { Token = token, Resource = resource, Action = action }, cancellationToken: ct),
            cancellationToken,
            "Authorize");
    }

    public Task<AuthResult> RefreshAsync(string refreshToken, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(refreshToken);
        return plugin.CallAsync(async (invoker, ct) =>
            RequireResult((await new AuthService.AuthServiceClient(invoker).RefreshAsync(new RefreshRequest { RefreshToken = refreshToken }, cancellationToken: ct)).Result, "Refresh"),
            cancellationToken);
    }

    public Task RevokeAsync(string token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        return plugin.CallAsync(async (invoker, ct) =>
            await new AuthService.AuthServiceClient(invoker).RevokeAsync(new RevokeRequest { Token = token }, cancellationToken: ct),
            cancellationToken);
    }

    private AuthResult RequireResult(AuthResult? result, string method) =>
        result is { Token.Length: > 0 }
            ? result
            : throw PluginReplies.Broken(plugin.Name, $"answered {method} without a token.");
}
