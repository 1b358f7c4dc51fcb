using GrpcPlugins.Hosting;
using GrpcPlugins.Hosting.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers GrpcPlugins in an application's services.</summary>
public static class GrpcPluginsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the plugins configured in the <c>Plugins</c> section (keyed by name: Type, Command, Args, Config, ...)
    /// and the settings of the <c>GrpcPlugins</c> section. The plugins start and stop with the application, and
    /// <see cref="IPluginRegistry"/> gives their typed clients.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configuration">The configuration holding the sections.</param>
    /// <returns>A builder for further settings.</returns>
    public static GrpcPluginsBuilder AddGrpcPlugins(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<GrpcPluginsOptions>()
            .Bind(configuration.GetSection(GrpcPluginsOptions.SectionName))
            .Configure(o =>
            {
                foreach (var plugin in configuration.GetSection(GrpcPluginsOptions.PluginsSectionName).GetChildren())
                {
                    var options = new PluginOptions { Name = plugin.Key };
                    plugin.Bind(options);
                    o.Plugins[plugin.Key] = options;
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GrpcPluginsOptions>, GrpcPluginsOptionsValidator>());
        services.TryAddSingleton<PluginRegistry>();
        services.TryAddSingleton<IPluginRegistry>(sp => sp.GetRequiredService<PluginRegistry>());
        services.TryAddSingleton<AuthChain>();
        services.AddHostedService<PluginHostedService>();
        return new GrpcPluginsBuilder(services);
    }
}

/// <summary>Returned by <c>AddGrpcPlugins</c> to chain further plugin settings.</summary>
/// <param name="services">The application's services.</param>
public sealed class GrpcPluginsBuilder(IServiceCollection services)
{
    /// <summary>The application's services.</summary>
    public IServiceCollection Services { get; } = services;

    /// <summary>Changes the plugin settings in code, after configuration is bound.</summary>
    /// <param name="configure">Changes the settings.</param>
    /// <returns>This builder.</returns>
    public GrpcPluginsBuilder Configure(Action<GrpcPluginsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.PostConfigure(configure);
        return this;
    }
}
