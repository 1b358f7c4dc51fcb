using GrpcPlugins.Auth.V1;
using GrpcPlugins.Plugin.V1;

namespace GrpcPlugins.Hosting;

/// <summary>
/// All of a host's auth plugins as one, asked in priority order (<see cref="IPluginRegistry.OfType"/>). The first
/// plugin that recognises the credentials or token decides. One that does not recognise them (Unauthenticated,
/// or NotSupported for a kind of credential it does not take) passes to the next; one that answers
/// PermissionDenied stops the chain. When no plugin decides and one of them was down, the answer is Unavailable,
/// not a wrong password, because the plugin that was down might have known the user.
/// </summary>
public sealed class AuthChain : IAuthPlugin
{
    private readonly Func<IReadOnlyList<PluginClient>> _plugins;

    /// <summary>Creates a chain over the registry's auth plugins, read afresh for each call.</summary>
    /// <param name="registry">The host's plugins.</param>
    public AuthChain(IPluginRegistry registry)
        : this(() => registry.OfType(PluginType.Auth))
    {
        ArgumentNullException.ThrowIfNull(registry);
    }

    internal AuthChain(Func<IReadOnlyList<PluginClient>> plugins) => _plugins = plugins;

    /// <inheritdoc />
    public Task<AuthResult> AuthenticateAsync(AuthenticateRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return AskAsync(auth => auth.AuthenticateAsync(request, cancellationToken), "these credentials");
    }

    /// <inheritdoc />
    public Task<AuthorizeResponse> AuthorizeAsync(string token, string resource, Auth.V1.Action action, CancellationToken cancellationToken = default) =>
        AskAsync(auth => auth.AuthorizeAsync(token, resource, action, cancellationToken), "this token");

    /// <inheritdoc />
    public Task<AuthResult> RefreshAsync(string refreshToken, CancellationToken cancellationToken = default) =>
        AskAsync(auth => auth.RefreshAsync(refreshToken, cancellationToken), "this refresh token");

    /// <inheritdoc />
    public Task RevokeAsync(string token, CancellationToken cancellationToken = default) =>
        AskAsync(async auth =>
        {
            await auth.RevokeAsync(token, cancellationToken).ConfigureAwait(false);
            return true;
        }, "this token");

    private async Task<T> AskAsync<T>(Func<IAuthPlugin, Task<T>> ask, string what)
    {
        var plugins = _plugins();
        if (plugins.Count == 0)
        {
            throw PluginException.FromHost(PluginErrorCode.Unavailable, "No auth plugin is configured or running, so nobody can sign in. Add an Auth plugin to the host's Plugins.");
        }

        PluginException? notRecognised = null;
        PluginException? down = null;
        foreach (var plugin in plugins)
        {
            try
            {
                return await ask(plugin.Auth).ConfigureAwait(false);
            }
            catch (PluginException ex) when (ex.Code is PluginErrorCode.Unauthenticated or PluginErrorCode.NotSupported)
            {
                notRecognised ??= ex;
            }
            catch (PluginException ex) when (ex.Code is PluginErrorCode.Unavailable && plugins.Count > 1)
            {
                down ??= ex;
            }
        }

        if (down is not null)
        {
            throw PluginException.FromHost(
                PluginErrorCode.Unavailable,
                $"No running auth plugin recognised {what}, and plugin '{down.PluginName}' that might have is down: {down.Message}",
                down.PluginName,
                down);
        }

        throw notRecognised!;
    }
}
