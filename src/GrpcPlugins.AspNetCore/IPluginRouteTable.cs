namespace GrpcPlugins.AspNetCore;

/// <summary>
/// The plugin routes a host serves, rebuilt when route plugins start, stop, upgrade or are removed. Registered by
/// <c>AddPluginHttp</c>; read it for a dashboard.
/// </summary>
public interface IPluginRouteTable
{
    /// <summary>Lists every declared route, routed or refused, after bringing the table up to date with the plugins.</summary>
    /// <param name="cancellationToken">Abandons the wait for plugins to list their routes.</param>
    /// <returns>The routes, in matching order.</returns>
    Task<IReadOnlyList<PluginRouteInfo>> GetRoutesAsync(CancellationToken cancellationToken = default);
}
