using System.Text.Json.Nodes;

namespace GrpcPlugins.Packaging;

/// <summary>An installed plugin: its manifest, folder and saved state.</summary>
/// <param name="Manifest">The manifest.</param>
/// <param name="Folder">The folder it is installed in.</param>
/// <param name="State">Its saved state.</param>
public sealed record InstalledPlugin(PluginManifest Manifest, string Folder, InstalledPluginState State);

/// <summary>
/// An upgrade under way: the new version is unpacked beside the installed one, which stays in force until
/// <see cref="PluginDirectory.CommitUpgrade"/>; <see cref="PluginDirectory.DiscardUpgrade"/> removes the new version instead.
/// </summary>
/// <param name="Current">The installed version.</param>
/// <param name="Next">The new version, in its own folder, with the configuration it will have.</param>
public sealed record PluginUpgrade(InstalledPlugin Current, InstalledPlugin Next);

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
        var upgraded = states.Where(s => s.Value.Folder is not null && File.Exists(Path.Combine(FolderOf(s.Key, s.Value), PluginManifest.FileName))).Select(s => s.Key);
        return [.. Installer.InstalledNames().Union(upgraded, StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).Select(n => Describe(n, states.GetValueOrDefault(n)))];
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
        var package = Installer.Install(packagePath, n => IsInstalled(n) || isNameTaken?.Invoke(n) == true);
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
        var plugin = Get(name);
        Installer.RemoveFolder(plugin.Folder);
        Store.Remove(plugin.Manifest.Name);
    }

    /// <summary>Whether a plugin of that name is installed.</summary>
    /// <param name="name">The name.</param>
    /// <returns>True when it is.</returns>
    public bool IsInstalled(string name) =>
        File.Exists(Path.Combine(FolderOf(name, Store.Get(name)), PluginManifest.FileName));

    /// <summary>
    /// Verifies a newer version of an installed plugin and unpacks it beside the installed one. Nothing changes for the
    /// installed version: commit the upgrade once the new version runs, or discard it.
    /// </summary>
    /// <param name="packagePath">The package of the new version.</param>
    /// <returns>The upgrade, with the new version's folder and configuration (the current one, with the new schema's defaults).</returns>
    /// <exception cref="PackageException">
    /// The package is refused, no plugin of its name is installed (<see cref="PackageProblem.NotInstalled"/>), it is not
    /// newer (<see cref="PackageProblem.NotNewer"/>), it changes the plugin's types, or the new schema refuses the current
    /// configuration; nothing was changed.
    /// </exception>
    public PluginUpgrade StageUpgrade(string packagePath)
    {
        var manifest = Installer.Verifier.Verify(packagePath).Manifest;
        var current = Get(manifest.Name);
        var from = current.Manifest;
        var uninstallFirst = $"To install it anyway, uninstall '{from.Name}' first (its configuration is then lost), then install this package.";
        if (manifest.Version <= from.Version)
        {
            throw new PackageException(PackageProblem.NotNewer, $"Refused '{Path.GetFileName(packagePath)}': '{from.Name}' {from.Version} is installed, and this package is {manifest.Version}, {(manifest.Version.CompareTo(from.Version) == 0 ? "the same version" : "an older version")}; only a newer version upgrades in place. {uninstallFirst}");
        }

        if (!manifest.Types.SequenceEqual(from.Types))
        {
            throw new PackageException(PackageProblem.ManifestInvalid, $"Refused '{Path.GetFileName(packagePath)}': '{from.Name}' {from.Version} is a {string.Join(", ", from.Types).ToLowerInvariant()} plugin, and {manifest.Version} would make it {string.Join(", ", manifest.Types).ToLowerInvariant()}; an upgrade keeps the plugin's types. {uninstallFirst}");
        }

        JsonObject config;
        try
        {
            config = PluginConfig.Check(manifest, current.State.Config);
        }
        catch (PackageException ex) when (ex.Problem == PackageProblem.ConfigInvalid)
        {
            throw new PackageException(PackageProblem.ConfigInvalid, $"Refused upgrading '{from.Name}' to {manifest.Version}: its config schema refuses the current configuration ({string.Join("; ", ex.Reasons)}). Change the configuration with PUT /v1/plugins/{from.Name}/config to one both versions accept, then upgrade again.", ex)
            {
                Reasons = ex.Reasons,
            };
        }

        var (package, folder) = Installer.Stage(packagePath);
        var next = new InstalledPlugin(package.Manifest, folder, current.State with
        {
            Config = config,
            Version = package.Manifest.Version.ToString(),
            Folder = Path.GetRelativePath(Installer.PluginsDirectory, folder),
        });
        return new PluginUpgrade(current, next);
    }

    /// <summary>
    /// Makes the new version of an upgrade the installed one, in one atomic write of the state file, and then removes the
    /// old version's folder. A crash before the write leaves the old version installed, and one after it the new.
    /// </summary>
    /// <param name="upgrade">The upgrade from <see cref="StageUpgrade"/>.</param>
    /// <returns>The plugin, now at the new version.</returns>
    public InstalledPlugin CommitUpgrade(PluginUpgrade upgrade)
    {
        ArgumentNullException.ThrowIfNull(upgrade);
        var name = upgrade.Current.Manifest.Name;
        Store.Change(name, state => state with
        {
            Config = upgrade.Next.State.Config,
            Version = upgrade.Next.State.Version,
            Folder = upgrade.Next.State.Folder,
        });
        try
        {
            Installer.RemoveFolder(upgrade.Current.Folder);
        }
        catch (IOException)
        {
            // The new version is installed either way; the next host start removes the old folder.
        }

        return Get(name);
    }

    /// <summary>Removes the new version of an upgrade that will not go ahead; the installed version stays as it was.</summary>
    /// <param name="upgrade">The upgrade from <see cref="StageUpgrade"/>.</param>
    public void DiscardUpgrade(PluginUpgrade upgrade)
    {
        ArgumentNullException.ThrowIfNull(upgrade);
        Installer.RemoveFolder(upgrade.Next.Folder);
    }

    /// <summary>Upgrades a plugin that is not running: <see cref="StageUpgrade"/>, then <see cref="CommitUpgrade"/>.</summary>
    /// <param name="packagePath">The package of the new version.</param>
    /// <returns>The plugin, now at the new version.</returns>
    /// <exception cref="PackageException">As <see cref="StageUpgrade"/>; nothing was changed.</exception>
    public InstalledPlugin Upgrade(string packagePath) => CommitUpgrade(StageUpgrade(packagePath));

    /// <summary>
    /// Removes what a crash in the middle of an install, upgrade or uninstall left: staging folders, versions no plugin
    /// uses, and an old version's folder still present after its upgrade was recorded. Call it when nothing else changes
    /// the folder, such as at host start.
    /// </summary>
    /// <returns>The folders removed.</returns>
    public IReadOnlyList<string> RemoveLeftovers()
    {
        var states = Store.Load();
        var inUse = states.Values.Where(s => s.Folder is not null)
            .Select(s => Path.GetFullPath(Path.Combine(Installer.PluginsDirectory, s.Folder!)))
            .ToHashSet(StringComparer.Ordinal);
        var removed = Installer.RemoveLeftovers(inUse.Contains).ToList();
        foreach (var (name, state) in states)
        {
            var named = Installer.FolderOf(name);
            if (state.Folder is not null && Directory.Exists(named) && IsInstalled(name))
            {
                Installer.RemoveFolder(named);
                removed.Add(named);
            }
        }

        return removed;
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
        var folder = FolderOf(name, state);
        var manifest = state?.Folder is null ? Installer.ReadInstalled(name) : Installer.ReadInstalled(name, folder);
        state ??= new InstalledPluginState
        {
            Config = PluginConfig.WithDefaults(manifest.ConfigSchema, null),
            Version = manifest.Version.ToString(),
        };
        return new InstalledPlugin(manifest, state.Folder is null ? Installer.FolderOf(manifest.Name) : folder, state);
    }

    // A plugin lives in the folder named after it until an upgrade moves it to the one its state names, which must be
    // one of the upgrade folders: a state file edited to name another place is refused, not followed.
    private string FolderOf(string name, InstalledPluginState? state)
    {
        if (state?.Folder is not { } folder)
        {
            return Installer.FolderOf(name);
        }

        var versions = Path.Combine(Installer.PluginsDirectory, PackageInstaller.VersionsFolderName) + Path.DirectorySeparatorChar;
        var full = Path.GetFullPath(Path.Combine(Installer.PluginsDirectory, folder));
        return full.StartsWith(versions, StringComparison.Ordinal) && full.Length > versions.Length && !full[versions.Length..].Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? full
            : throw new PackageException(PackageProblem.ManifestInvalid, $"The state file {Store.Path} says plugin '{name}' is in \"{folder}\", which is not a folder under {versions}. Fix or delete that entry; deleting the file leaves every installed plugin stopped with its default configuration.");
    }
}
