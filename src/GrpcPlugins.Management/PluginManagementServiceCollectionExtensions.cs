using GrpcPlugins.Hosting;
using GrpcPlugins.Management;
using GrpcPlugins.Management.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers plugin package management in an application's services.</summary>
public static class PluginManagementServiceCollectionExtensions
{
    /// <summary>
    /// Adds the <see cref="PluginManager"/>, with its settings bound from a configuration section (such as
    /// <c>configuration.GetSection(PluginManagementOptions.SectionName)</c>) and validated when the host starts. It starts
    /// with the host, after the built-in plugins, and brings back the installed plugins as they were left.
    /// Call <c>AddGrpcPlugins</c> first; serve it with <c>app.MapGrpcPluginsManagement()</c>.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="section">The section holding the <see cref="PluginManagementOptions"/>.</param>
    /// <returns>The settings' builder, to change them further in code.</returns>
    /// <exception cref="InvalidOperationException"><c>AddGrpcPlugins</c> was not called first.</exception>
    public static OptionsBuilder<PluginManagementOptions> AddGrpcPluginsManagement(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return services.AddGrpcPluginsManagement(_ => { }).Bind(section);
    }

    /// <summary>
    /// Adds the <see cref="PluginManager"/>, with settings set in code and validated when the host starts. It starts
    /// with the host, after the built-in plugins, and brings back the installed plugins as they were left.
    /// Call <c>AddGrpcPlugins</c> first; serve it with <c>app.MapGrpcPluginsManagement()</c>.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Sets the <see cref="PluginManagementOptions"/>.</param>
    /// <returns>The settings' builder, to change them further.</returns>
    /// <exception cref="InvalidOperationException"><c>AddGrpcPlugins</c> was not called first.</exception>
    public static OptionsBuilder<PluginManagementOptions> AddGrpcPluginsManagement(this IServiceCollection services, Action<PluginManagementOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        if (!services.Any(d => d.ServiceType == typeof(IPluginRegistry)))
        {
            // Its hosted service must come after the registry's, which starts the built-in plugins it lists beside the installed ones.
            throw new InvalidOperationException("AddGrpcPluginsManagement needs the plugin host: call services.AddGrpcPlugins(configuration) before it.");
        }

        var options = services.AddOptions<PluginManagementOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PluginManagementOptions>, PluginManagementOptionsValidator>());
        services.TryAddSingleton<PluginManager>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PluginManager>(sp => sp.GetRequiredService<PluginManager>()));
        // Cluster mode (PluginManagementOptions.Cluster): inert until its connection string is set; starts after the manager.
        services.TryAddSingleton<PluginCluster>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PluginCluster>(sp => sp.GetRequiredService<PluginCluster>()));
        // Per-plugin, per-method call activity from the host's own metrics, for GET {name}/activity.
        services.TryAddSingleton<GrpcPlugins.Management.Metrics.PluginActivityRecorder>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, GrpcPlugins.Management.Metrics.PluginActivityRecorder>(sp => sp.GetRequiredService<GrpcPlugins.Management.Metrics.PluginActivityRecorder>()));

        return options;
    }
}
