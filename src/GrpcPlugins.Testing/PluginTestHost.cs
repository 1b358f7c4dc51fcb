using GrpcPlugins.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GrpcPlugins.Testing;

/// <summary>
/// A host for end-to-end tests: a generic host with <c>AddGrpcPlugins</c>, whose plugins are real processes started,
/// supervised and called as in production. Dispose it to stop them.
/// <code>
/// await using var host = await PluginTestHost.StartAsync(new PluginOptions
/// {
///     Name = "files", Type = PluginType.Storage, Command = PluginTestHost.ProjectOutput("MyStorage"),
/// });
/// var storage = host.Plugins.Get("files").Storage;
/// </code>
/// </summary>
public sealed class PluginTestHost : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly TimeSpan _timeout;
    private int _disposed;

    private PluginTestHost(IHost host, TimeSpan timeout)
    {
        _host = host;
        _timeout = timeout;
    }

    /// <summary>The host's services: <see cref="IPluginRegistry"/>, <see cref="AuthChain"/>, the test's own.</summary>
    public IServiceProvider Services => _host.Services;

    /// <summary>The running plugins, by name and type.</summary>
    public IPluginRegistry Plugins => _host.Services.GetRequiredService<IPluginRegistry>();

    /// <summary>Starts a host running <paramref name="plugins"/>.</summary>
    /// <param name="plugins">The plugins, each with at least Name, Type and Command.</param>
    /// <returns>The started host, once every plugin is ready.</returns>
    /// <exception cref="PluginException">A plugin failed to start (the message says why).</exception>
    public static Task<PluginTestHost> StartAsync(params PluginOptions[] plugins)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        var options = new PluginTestHostOptions();
        foreach (var plugin in plugins)
        {
            options.Plugins.Add(plugin);
        }

        return StartAsync(options);
    }

    /// <summary>Starts a host as <paramref name="options"/> says.</summary>
    /// <param name="options">The plugins, configuration and services.</param>
    /// <param name="cancellationToken">Abandons the start; the plugins started so far are stopped.</param>
    /// <returns>The started host, once every plugin is ready.</returns>
    /// <exception cref="PluginException">A plugin failed to start (the message says why).</exception>
    /// <exception cref="TimeoutException">The plugins did not all start within <see cref="PluginTestHostOptions.Timeout"/>.</exception>
    public static async Task<PluginTestHost> StartAsync(PluginTestHostOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(options.Configuration);
        builder.Services.AddLogging();
        var plugins = options.Plugins.ToList();
        builder.Services.AddGrpcPlugins(builder.Configuration).Configure(o =>
        {
            foreach (var plugin in plugins)
            {
                o.Plugins[plugin.Name] = plugin;
            }
        });
        options.ConfigureServices?.Invoke(builder.Services);

        var host = new PluginTestHost(builder.Build(), options.Timeout);
        try
        {
            await host._host.StartAsync(cancellationToken).WaitAsync(options.Timeout, cancellationToken).ConfigureAwait(false);
            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The built program of a project beside the test's, found by walking up from the test's output folder to the
    /// folder holding <paramref name="projectName"/>'s folder, then down its <c>bin/{Configuration}/{TargetFramework}</c>
    /// in the test's own configuration: the path to give as <see cref="PluginOptions.Command"/>. Reference the plugin's
    /// project from the test project (ReferenceOutputAssembly false is enough) so that it is built first.
    /// </summary>
    /// <param name="projectName">The plugin project's folder and assembly name, such as <c>MyStorage</c>.</param>
    /// <returns>The full path of the plugin's <c>.dll</c>.</returns>
    /// <exception cref="FileNotFoundException">No such project output was found; the message names where it looked.</exception>
    public static string ProjectOutput(string projectName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(projectName);
        var baseDirectory = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var framework = Path.GetFileName(baseDirectory);
        var configuration = Path.GetFileName(Path.GetDirectoryName(baseDirectory)) ?? "Debug";
        for (var dir = new DirectoryInfo(baseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var candidate in new[] { dir.FullName, Path.Combine(dir.FullName, "src"), Path.Combine(dir.FullName, "examples", "plugins") })
            {
                var dll = Path.Combine(candidate, projectName, "bin", configuration, framework, projectName + ".dll");
                if (File.Exists(dll))
                {
                    return dll;
                }
            }
        }

        throw new FileNotFoundException(
            $"No build of the project '{projectName}' ({projectName}/bin/{configuration}/{framework}/{projectName}.dll) was found in a folder above {baseDirectory}. " +
            "Build it first: add a ProjectReference to it from the test project.");
    }

    /// <summary>Stops the host; its plugins get Shutdown and their processes exit.</summary>
    /// <returns>A task that completes when the host and its plugins have stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(_timeout);
            await _host.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            if (_host is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                _host.Dispose();
            }
        }
    }
}
