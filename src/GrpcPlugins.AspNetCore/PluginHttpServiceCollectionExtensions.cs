using GrpcPlugins.AspNetCore;
using GrpcPlugins.AspNetCore.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers plugin routes and plugin middleware.</summary>
public static class PluginHttpServiceCollectionExtensions
{
    /// <summary>
    /// Registers what <c>MapPluginRoutes</c> and <c>UsePluginMiddleware</c> need, beside <c>AddGrpcPlugins</c>.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Sets the gates, the middleware deadline and which middleware fails open; null keeps the defaults.</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddPluginHttp(this IServiceCollection services, Action<PluginHttpOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<PluginHttpOptions>().Validate(o => o.MiddlewareTimeout > TimeSpan.Zero && o.DescribeTimeout > TimeSpan.Zero, "PluginHttpOptions timeouts must be positive.");
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton<PluginRouteTable>();
        services.TryAddSingleton<IPluginRouteTable>(sp => sp.GetRequiredService<PluginRouteTable>());
        services.TryAddSingleton<PluginRouteDispatcher>();
        services.TryAddSingleton<PluginMiddlewareRunner>();
        services.TryAddSingleton<IPluginMiddlewarePositions>(sp => new MiddlewarePositions(sp.GetRequiredService<PluginMiddlewareRunner>()));
        return services;
    }
}
