using GrpcPlugins.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace GrpcPlugins.Testing;

/// <summary>What <see cref="PluginTestHost.StartAsync(PluginTestHostOptions, System.Threading.CancellationToken)"/> starts.</summary>
public sealed class PluginTestHostOptions
{
    /// <summary>
    /// The plugins to run, each a real process started as a host starts it (handshake, health, metadata, Init with its
    /// <see cref="PluginOptions.Config"/>). Defaults to none.
    /// </summary>
    public IList<PluginOptions> Plugins { get; } = new List<PluginOptions>();

    /// <summary>
    /// Further configuration of the host, such as <c>GrpcPlugins:*</c> settings or <c>Plugins:{name}:*</c> entries, as
    /// an appsettings.json would give them. Defaults to none.
    /// </summary>
    public IDictionary<string, string?> Configuration { get; } = new Dictionary<string, string?>();

    /// <summary>Adds the test's own services (host callbacks, an event sink, a logger provider). Defaults to null.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; set; }

    /// <summary>How long all plugins may take to start, and the host to stop. Defaults to 60 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);
}
