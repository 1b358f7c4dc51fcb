using GrpcPlugins.Hosting;
using GrpcPlugins.Hosting.Callbacks;
using GrpcPlugins.Hosting.Callbacks.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the host callbacks service that plugins call back (docs/protocol.md, "Host callbacks").</summary>
public static class HostCallbacksServiceCollectionExtensions
{
    /// <summary>
    /// Serves host callbacks to plugins: every plugin launch gets the callbacks' address and a token of its own, and may
    /// call what its <see cref="PluginOptions.HostCallbacks"/> grants. Register an <see cref="IHostFileSource"/> to serve
    /// files and an <see cref="IHostEventSink"/> to take events. Call it besides <c>AddGrpcPlugins</c>, in any order.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configuration">The configuration whose <c>GrpcPlugins:HostCallbacks</c> section binds <see cref="HostCallbacksOptions"/>; null to bind none.</param>
    /// <param name="configure">Changes to the options after binding; null for none.</param>
    /// <returns>The same services, for chaining.</returns>
    public static IServiceCollection AddGrpcPluginsHostCallbacks(
        this IServiceCollection services, IConfiguration? configuration = null, Action<HostCallbacksOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<HostCallbacksOptions>();
        if (configuration is not null)
        {
            options.Bind(configuration.GetSection(HostCallbacksOptions.SectionName));
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(sp => new HostCallbackServer(
            sp.GetRequiredService<IOptions<HostCallbacksOptions>>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, HostCallbackServer>(sp => sp.GetRequiredService<HostCallbackServer>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<GrpcPluginsOptions>, LaunchHookSetup>());
        return services;
    }

    private sealed class LaunchHookSetup(HostCallbackServer server) : IConfigureOptions<GrpcPluginsOptions>
    {
        public void Configure(GrpcPluginsOptions options)
        {
            if (!options.LaunchHooks.Contains(server))
            {
                options.LaunchHooks.Add(server);
            }
        }
    }
}
