using System.Text.Json.Nodes;

namespace GrpcPlugins.Packaging;

/// <summary>An installed plugin: its manifest, folder and saved state.</summary>
/// <param name="Manifest">The manifest.</param>
/// <param name="Folder">The folder it is installed in.</param>
/// <param name="State">Its saved state.</param>
public sealed record InstalledPlugin(PluginManifest Manifest, string Folder, InstalledPluginState State);

/// <summary>
/// A plugins folder and its state file together: install, list, enable, disable, configure and uninstall, as both the
/// <c>grpcplugins</c> CLI (on a local folder) and a host (behind its management API) do.
/// </summary>
public sealed class PluginDirectory
{
    /// <summary>The state file's name inside the plugins folder; plugin names cannot start with '.', so it never clashes.</summary>
    public const string StateFileName = ".state.json";

    /// <summary>Opens a plugins folder.</summary>
    /// <param name="root">The plugins folder; created on the first install.</param>
    /// <param name="options">What packages must pass.</param>
    public PluginDirectory(string root, PackageVerifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(options);
        Installer = new PackageInstaller(root, new PackageVerifier(options));
        Store = new InstalledPluginStore(Path.Combine(Installer.PluginsDirectory, StateFileName));
    }

    /// <summary>Installs packages into the folder.</summary>
    public PackageInstaller Installer { get; }

    /// <summary>The saved states.</summary>
    public InstalledPluginStore Store { get; }

    /// <summary>The installed plugins.</summary>
    /// <returns>The plugins, by name.</returns>
    public IReadOnlyList<InstalledPlugin> List()
    {
        var states = Store.Load();
        return [.. Installer.InstalledNames().Select(n => Describe(n, states.GetValueOrDefault(n)))];
    }

    /// <summary>One installed plugin.</summary>
    /// <param name="name">Its name.</param>
    /// <returns>The plugin.</returns>
    /// <exception cref="PackageException">It is not installed.</exception>
    public InstalledPlugin Get(string name) => Describe(name, Store.Get(name));

    /// <summary>Verifies and installs a package, stopped, with its default configuration.</summary>
    /// <param name="packagePath">The package.</param>
    /// <param name="isNameTaken">Also refuses names this says are taken; null for none.</param>
    /// <returns>The installed plugin.</returns>
    /// <exception cref="PackageException">The package is refused; nothing was changed.</exception>
    public InstalledPlugin Install(string packagePath, Func<string, bool>? isNameTaken = null)
    {
        var package = Installer.Install(packagePath, isNameTaken);
        var manifest = package.Manifest;
        Store.Set(manifest.Name, new InstalledPluginState
        {
            Status = InstalledStatus.Stopped,
            Config = PluginConfig.WithDefaults(manifest.ConfigSchema, null),
            Version = manifest.Version.ToString(),
            InstalledAt = DateTimeOffset.UtcNow,
        });
        return Get(manifest.Name);
    }

    /// <summary>Removes a plugin's folder and state.</summary>
    /// <param name="name">Its name.</param>
    /// <exception cref="PackageException">It is not installed.</exception>
    public void Uninstall(string name)
    {
        Installer.Uninstall(name);
        Store.Remove(name);
    }

    /// <summary>Saves what the operator asked of a plugin.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="status">The new status.</param>
    /// <returns>The plugin.</returns>
    /// <exception cref="PackageException">It is not installed.</exception>
    public InstalledPlugin SetStatus(string name, InstalledStatus status)
    {
        var plugin = Get(name);
        Store.Set(plugin.Manifest.Name, plugin.State with { Status = status });
        return Get(name);
    }

    /// <summary>Checks a new configuration against the plugin's schema and saves it.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="config">The new configuration; missing properties get the schema's defaults.</param>
    /// <returns>The plugin, with the new configuration.</returns>
    /// <exception cref="PackageException">It is not installed, or the schema refuses the configuration; the old one stays.</exception>
    public InstalledPlugin SetConfig(string name, JsonObject config)
    {
        var plugin = Get(name);
        var checkedConfig = PluginConfig.Check(plugin.Manifest, config);
        Store.Set(plugin.Manifest.Name, plugin.State with { Config = checkedConfig });
        return Get(name);
    }

    private InstalledPlugin Describe(string name, InstalledPluginState? state)
    {
        var manifest = Installer.ReadInstalled(name);
        state ??= new InstalledPluginState
        {
            Config = PluginConfig.WithDefaults(manifest.ConfigSchema, null),
            Version = manifest.Version.ToString(),
        };
        return new InstalledPlugin(manifest, Installer.FolderOf(manifest.Name), state);
    }
}
