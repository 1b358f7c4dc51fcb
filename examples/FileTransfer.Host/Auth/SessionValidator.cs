using FileTransfer.Host.Transfers;
using GrpcPlugins.Auth.V1;
using Action = GrpcPlugins.Auth.V1.Action;

namespace FileTransfer.Host.Auth;

/// <summary>
/// Asks the auth plugin whether a bearer token may do an action on a resource: the one place the session gate calls
/// the plugin (a cache of answers would wrap <see cref="ValidateAsync"/>).
/// </summary>
/// <param name="plugins">The host's plugins.</param>
public class SessionValidator(PluginSelector plugins)
{
    /// <summary>The auth plugin's answer for a token, resource and action.</summary>
    /// <param name="token">The bearer token.</param>
    /// <param name="resource">The resource, the request's path.</param>
    /// <param name="action">The action.</param>
    /// <param name="cancellationToken">Stops the call (the request was aborted).</param>
    /// <returns>Allowed or not, the user, and why not.</returns>
    /// <exception cref="GrpcPlugins.PluginException">Code <c>Unauthenticated</c> for a token the plugin does not accept; other codes if the plugin failed.</exception>
    public virtual Task<AuthorizeResponse> ValidateAsync(string token, string resource, Action action, CancellationToken cancellationToken) =>
        plugins.Auth.AuthorizeAsync(token, resource, action, cancellationToken);
}
