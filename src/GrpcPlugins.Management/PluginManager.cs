using System.Text.Json.Nodes;
using GrpcPlugins.Hosting;
using GrpcPlugins.Management.Internal;
using GrpcPlugins.Packaging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.Management;

/// <summary>
/// Installs, upgrades (without downtime, rolled back if the new version fails), starts, stops, disables, reconfigures
/// and uninstalls plugins while the host runs. Package plugins live under <see cref="PluginManagementOptions.PluginsPath"/>
/// with their saved state, and come back at host start as they were left; built-in plugins come from the host's
/// <c>Plugins</c> configuration and can only be started and stopped. Registered, and started as a hosted service after
/// the built-in plugins, by <c>AddGrpcPluginsManagement</c>; <c>MapGrpcPluginsManagement</c> serves it over HTTP.
/// </summary>
public sealed class PluginManager : IHostedService
{
    private readonly IPluginRegistry _registry;
    private readonly GrpcPluginsOptions _hostOptions;
    private readonly PluginManagementOptions _options;
    private readonly ILogger<PluginManager> _logger;
    private readonly SemaphoreSlim _changes = new(1, 1);

    /// <summary>Creates the manager.</summary>
    /// <param name="registry">The host's plugins.</param>
    /// <param name="hostOptions">The plugin settings, with the built-in plugins.</param>
    /// <param name="options">The management settings.</param>
    /// <param name="logger">Logs upgrades, rollbacks, and starts that fail at host start.</param>
    /// <exception cref="PackageException">A trusted key file does not exist.</exception>
    public PluginManager(IPluginRegistry registry, IOptions<GrpcPluginsOptions> hostOptions, IOptions<PluginManagementOptions> options, ILogger<PluginManager> logger)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(hostOptions);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _registry = registry;
        _hostOptions = hostOptions.Value;
        _options = options.Value;
        _logger = logger;
        var verifier = new PackageVerifierOptions
        {
            AllowUnsigned = _options.AllowUnsigned,
            HostVersion = HostVersion,
            MaxEntries = _options.MaxEntries,
            MaxEntryBytes = _options.MaxEntryBytes,
            MaxTotalBytes = _options.MaxTotalBytes,
        };
        Directory = new PluginDirectory(Path.GetFullPath(_options.PluginsPath), verifier);
        Keys = TrustedKeyring.For(verifier, Path.GetFullPath(_options.PluginsPath), _options);
    }

    /// <summary>The signing keys this host trusts, which can be added and removed while it runs.</summary>
    public TrustedKeyring Keys { get; }

    /// <summary>This host's version, as packages' <c>hostVersions</c> see it: the GrpcPlugins.Hosting version.</summary>
    public static PluginVersion HostVersion { get; } = PluginVersion.Parse(typeof(PluginClient).Assembly.GetName().Version!.ToString(3));

    /// <summary>The installed packages.</summary>
    public PluginDirectory Directory { get; }

    /// <summary>The name of this node, as reported per plugin (<see cref="PluginManagementOptions.NodeName"/>).</summary>
    public string NodeName => _options.NodeName;

    /// <summary>
    /// Removes what unfinished installs left in the plugins folder, and starts the package plugins saved as running.
    /// One that fails is logged and shown crashed; the host still starts.
    /// </summary>
    /// <param name="cancellationToken">Abandons the starts.</param>
    /// <returns>A task that completes when every start has finished or failed.</returns>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (var folder in Directory.RemoveLeftovers())
            {
                ManagementLog.LeftoverRemoved(_logger, folder);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PackageException)
        {
            ManagementLog.LeftoversFailed(_logger, ex.Message);
        }

        foreach (var plugin in Directory.List().Where(p => p.State.Status == InstalledStatus.Running))
        {
            try
            {
                await StartPackageAsync(plugin, cancellationToken);
            }
            catch (PluginException ex)
            {
                ManagementLog.StartFailed(_logger, plugin.Manifest.Name, ex.Message);
            }
        }
    }

    /// <summary>Nothing to do: the registry stops every plugin, built-in or installed, with the host.</summary>
    /// <param name="cancellationToken">Unused.</param>
    /// <returns>A completed task.</returns>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Every plugin, built-in and installed, sorted by type, priority and name.</summary>
    /// <returns>The plugins.</returns>
    public IReadOnlyList<ManagedPlugin> List()
    {
        var builtins = _registry.Plugins.Where(p => IsBuiltin(p.Name)).Select(p => Describe(p, null));
        var packages = Directory.List().Select(p => Describe(Listed(p.Manifest.Name), p));
        return [.. builtins.Concat(packages).OrderBy(p => p.Type, StringComparer.Ordinal).ThenBy(p => p.Priority).ThenBy(p => p.Name, StringComparer.Ordinal)];
    }

    /// <summary>One plugin.</summary>
    /// <param name="name">Its name.</param>
    /// <returns>The plugin.</returns>
    /// <exception cref="PluginException">There is no plugin of that name (NotFound).</exception>
    public ManagedPlugin Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return IsBuiltin(name)
            ? Describe(_registry.Get(name), null)
            : Describe(Listed(name), Directory.Get(name));
    }

    /// <summary>
    /// Verifies and installs an uploaded package, stopped; or, when it is a newer version of an installed plugin,
    /// upgrades that plugin without downtime: the new version starts beside the running one and takes its calls once
    /// healthy, while the old one drains and stops; if the new version fails to start, it is removed and the old one
    /// keeps serving.
    /// </summary>
    /// <param name="package">The package's bytes; read to the end (at most <see cref="PluginManagementOptions.MaxPackageBytes"/>).</param>
    /// <param name="cancellationToken">Abandons the upload, or the new version's start (it is then rolled back).</param>
    /// <returns>The installed plugin, and the version it was upgraded from (null for a new install).</returns>
    /// <exception cref="PackageException">The package is refused, or the upgrade was rolled back; the installed plugins are as they were.</exception>
    /// <param name="acceptPermissions">
    /// Whether the admin accepts an upgrade that asks for more than the installed version may use
    /// (<see cref="PluginManifest.WidensFrom"/>); without it such an upgrade is refused with
    /// <see cref="PackageProblem.PermissionsWiden"/>, listing what widens.
    /// </param>
    public async Task<(ManagedPlugin Plugin, string? UpgradedFrom)> InstallAsync(Stream package, CancellationToken cancellationToken, bool acceptPermissions = false)
    {
        ArgumentNullException.ThrowIfNull(package);
        return await ReceiveAsync(package, path => InstallReceivedAsync(path, acceptPermissions, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Saves an uploaded package to a file of the uploads folder (at most <see cref="PluginManagementOptions.MaxPackageBytes"/>),
    /// gives its path to <paramref name="use"/>, and removes the file when that is done.
    /// </summary>
    internal async Task<T> ReceiveAsync<T>(Stream package, Func<string, Task<T>> use, CancellationToken cancellationToken)
    {
        var uploads = System.IO.Directory.CreateDirectory(_options.UploadsPath ?? Path.Combine(Path.GetTempPath(), "grpcplugins-uploads")).FullName;
        var path = Path.Combine(uploads, Guid.NewGuid().ToString("N") + ".zip");
        try
        {
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                await CopyLimitedAsync(package, file, _options.MaxPackageBytes, cancellationToken);
            }

            return await use(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    // Installs or upgrades from a package saved by ReceiveAsync.
    internal async Task<(ManagedPlugin Plugin, string? UpgradedFrom)> InstallReceivedAsync(string path, bool acceptPermissions, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken);
        try
        {
            var verified = Directory.Installer.Verifier.Verify(path);
            if (verified.Manifest.Types.Count != 1)
            {
                throw new PackageException(PackageProblem.ManifestInvalid, $"'{verified.Manifest.Name}' lists the types {string.Join(", ", verified.Manifest.Types).ToLowerInvariant()}; this host runs each plugin as one type. Package one type per plugin.");
            }

            if (!IsBuiltin(verified.Manifest.Name) && Directory.IsInstalled(verified.Manifest.Name))
            {
                var installedManifest = Directory.Get(verified.Manifest.Name).Manifest;
                var from = installedManifest.Version.ToString();
                if (verified.Manifest.WidensFrom(installedManifest) is { Count: > 0 } widens && !acceptPermissions)
                {
                    throw new PackageException(
                        PackageProblem.PermissionsWiden,
                        $"'{verified.Manifest.Name}' {verified.Manifest.Version} asks for more than the installed {from} may use: {string.Join("; ", widens)}. Review these, then upload it again with ?acceptPermissions=true to accept them; the installed version keeps running.")
                    {
                        Reasons = widens,
                    };
                }

                var upgraded = await UpgradeAsync(path, cancellationToken);
                return (Describe(Listed(upgraded.Manifest.Name), upgraded), from);
            }

            var installed = Directory.Install(path, IsBuiltin);
            return (Describe(null, installed), null);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Starts, stops or disables a plugin, and saves the choice for a package plugin.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="status">Running (answers once the plugin is healthy), Stopped, or Disabled (stopped and kept from starting).</param>
    /// <param name="cancellationToken">Abandons a start.</param>
    /// <returns>The plugin once the change is done.</returns>
    /// <exception cref="PluginException">No such plugin, a built-in plugin disabled (FailedPrecondition), or the start failed.</exception>
    public async Task<ManagedPlugin> SetStatusAsync(string name, InstalledStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        await _changes.WaitAsync(cancellationToken);
        try
        {
            if (IsBuiltin(name))
            {
                await SetBuiltinStatusAsync(name, status, cancellationToken);
                return Get(name);
            }

            var plugin = Directory.SetStatus(name, status);
            if (status == InstalledStatus.Running)
            {
                if (Listed(name) is not { State: PluginState.Running or PluginState.Starting })
                {
                    await StartPackageAsync(plugin, cancellationToken);
                }
            }
            else if (Listed(name) is not null)
            {
                await _registry.StopAsync(name, cancellationToken);
            }

            return Get(name);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Stops a package plugin and removes its folder and state.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="cancellationToken">Skips the plugin's shutdown grace period.</param>
    /// <returns>A task that completes when the plugin is gone.</returns>
    /// <exception cref="PluginException">No such plugin (NotFound), or a built-in one (FailedPrecondition).</exception>
    public async Task UninstallAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        RefuseBuiltin(name, "uninstalled; remove it from the Plugins section of the host's configuration instead");
        await _changes.WaitAsync(cancellationToken);
        try
        {
            Directory.Get(name);
            await _registry.RemoveAsync(name, cancellationToken);
            Directory.Uninstall(name);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>
    /// Checks a new configuration against the package's schema, saves it, and gives it to the running plugin: by Init,
    /// or by a restart when the package asks for one. If the plugin refuses it, the previous configuration is restored.
    /// </summary>
    /// <param name="name">Its name.</param>
    /// <param name="config">The new configuration; settings it leaves out get the schema's defaults.</param>
    /// <param name="cancellationToken">Abandons the change.</param>
    /// <returns>The plugin with its new configuration.</returns>
    /// <exception cref="PluginException">No such plugin, a built-in one, a configuration the schema refuses (the old one stays), or the plugin refused it.</exception>
    public async Task<ManagedPlugin> SetConfigAsync(string name, JsonObject config, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(config);
        RefuseBuiltin(name, "reconfigured through the management API; change its Config in the Plugins section of the host's configuration");
        await _changes.WaitAsync(cancellationToken);
        try
        {
            var old = Directory.Get(name);
            var updated = Directory.SetConfig(name, config);
            if (Listed(name) is not { State: PluginState.Running } client)
            {
                return Get(name);
            }

            try
            {
                if (updated.Manifest.Reconfigure == ReconfigureMode.Restart)
                {
                    await _registry.StopAsync(name, cancellationToken);
                    await StartPackageAsync(updated, cancellationToken);
                }
                else
                {
                    // The client restarts with it after a crash too.
                    await client.ReconfigureAsync(ConfigStrings(updated.State.Config), cancellationToken);
                }
            }
            catch (PluginException)
            {
                Directory.Store.Set(old.Manifest.Name, old.State);
                throw;
            }

            return Get(name);
        }
        finally
        {
            _changes.Release();
        }
    }

    private async Task SetBuiltinStatusAsync(string name, InstalledStatus wanted, CancellationToken cancellationToken)
    {
        if (wanted == InstalledStatus.Disabled)
        {
            RefuseBuiltin(name, "disabled; stop it, or remove it from the Plugins section of the host's configuration");
        }

        var client = _registry.Get(name);
        if (wanted == InstalledStatus.Stopped)
        {
            await _registry.StopAsync(name, cancellationToken);
        }
        else if (client.State is not (PluginState.Running or PluginState.Starting))
        {
            var options = _hostOptions.Plugins[name];
            await _registry.StartAsync(options, cancellationToken);
        }
    }

    /// <summary>
    /// Upgrades an installed plugin to the newer version in a package. The new version is unpacked beside the old one.
    /// If the plugin runs, the new version is started beside it and, once healthy, takes its calls, while the old one
    /// finishes the calls it has in flight and stops; if the new version fails to start or its health check, it is
    /// removed and the old one keeps serving. Only then is the new version recorded as installed and the old one's
    /// folder removed, so a host that dies part way comes back with one version or the other, whole.
    /// </summary>
    private async Task<InstalledPlugin> UpgradeAsync(string path, CancellationToken cancellationToken)
    {
        var upgrade = Directory.StageUpgrade(path);
        var name = upgrade.Current.Manifest.Name;
        var (from, to) = (upgrade.Current.Manifest.Version, upgrade.Next.Manifest.Version);
        if (upgrade.Current.State.Status == InstalledStatus.Running && Listed(name) is { State: not PluginState.Stopped })
        {
            try
            {
                await _registry.ReplaceAsync(PackageOptions(upgrade.Next), cancellationToken);
            }
            catch (Exception ex) when (ex is PluginException or OperationCanceledException)
            {
                Directory.DiscardUpgrade(upgrade);
                ManagementLog.UpgradeRolledBack(_logger, name, from.ToString(), to.ToString(), ex.Message);
                var why = ex is PluginException ? ex.Message : "the upload was abandoned before the new version was ready.";
                throw new PackageException(PackageProblem.UpgradeFailed, $"Upgrading '{name}' from {from} to {to} was rolled back: {why} Version {from} keeps serving, and the installed plugins are as they were.", ex);
            }
        }

        var installed = Directory.CommitUpgrade(upgrade);
        ManagementLog.Upgraded(_logger, name, from.ToString(), to.ToString());
        if (installed.State.Status == InstalledStatus.Running && Listed(name) is null)
        {
            // Saved as running but not running (it failed to start with the host): the new version may well start.
            try
            {
                await StartPackageAsync(installed, cancellationToken);
            }
            catch (PluginException ex)
            {
                ManagementLog.StartFailed(_logger, name, ex.Message);
            }
        }

        return installed;
    }

    private Task StartPackageAsync(InstalledPlugin plugin, CancellationToken cancellationToken) =>
        _registry.StartAsync(PackageOptions(plugin), cancellationToken);

    // How to run an installed package: its entrypoint in its folder, with its saved configuration.
    private PluginOptions PackageOptions(InstalledPlugin plugin)
    {
        var manifest = plugin.Manifest;
        if (ConfigProblem(plugin) is { } problem)
        {
            throw new PackageException(PackageProblem.ConfigInvalid, problem);
        }

        return new PluginOptions
        {
            Name = manifest.Name,
            Type = manifest.Types[0],
            Services = [.. manifest.Services],
            Priority = plugin.State.Priority ?? manifest.Priority,
            Command = Path.Combine(plugin.Folder, manifest.Entrypoint.Command),
            Args = [.. manifest.Entrypoint.Args],
            Config = ConfigStrings(plugin.State.Config),
            WorkingDirectory = plugin.Folder,
            HostCallbacks = [.. manifest.CallbackGrants],
            Sandbox = SandboxOf(manifest),
        };
    }

    // The package's declared resources and permissions as the host's sandbox options, host variables filled in.
    private PluginSandboxOptions SandboxOf(PluginManifest manifest)
    {
        var permissions = manifest.Permissions;
        return new PluginSandboxOptions
        {
            MemoryMiB = manifest.Resources.MemoryMiB,
            CpuPercent = manifest.Resources.CpuPercent,
            MaxProcesses = manifest.Resources.MaxProcesses,
            MaxOpenFiles = manifest.Resources.MaxOpenFiles,
            ConfineFiles = permissions.ConfinesFiles,
            Read = [.. (permissions.Read ?? []).Select(FillVariables)],
            Write = [.. (permissions.Write ?? []).Select(FillVariables)],
            Network = Enum.Parse<SandboxNetwork>(permissions.Network, ignoreCase: true),
            Require = _options.RequireSandbox,
        };
    }

    // The saved configuration keeps its placeholders ({DataDir}, say); the plugin gets them filled in.
    private Dictionary<string, string> ConfigStrings(JsonObject config) =>
        PluginConfig.ToStrings(config).ToDictionary(p => p.Key, p => FillVariables(p.Value));

    private string FillVariables(string value)
    {
        foreach (var (key, replacement) in _options.ConfigVariables)
        {
            value = value.Replace("{" + key + "}", replacement, StringComparison.Ordinal);
        }

        return value;
    }

    // Why a package cannot start with its saved configuration, or null when it can.
    private static string? ConfigProblem(InstalledPlugin plugin)
    {
        var manifest = plugin.Manifest;
        var problems = PluginConfig.Problems(manifest.ConfigSchema, plugin.State.Config);
        return problems.Count == 0
            ? null
            : $"'{manifest.Name}' cannot start: its configuration does not match its schema: {string.Join("; ", problems)}. Set one that does with the management API's PUT {manifest.Name}/config.";
    }

    // The plugin's status is the registry's; what is the manager's own is the package: disabled, saved as running.
    private ManagedPlugin Describe(PluginClient? client, InstalledPlugin? package)
    {
        var name = client?.Name ?? package!.Manifest.Name;
        var now = _registry.GetStatus(name);
        var savedRunning = package?.State.Status == InstalledStatus.Running;

        // A package saved as running that is not listed did not start: its configuration is refused, or its start failed.
        var configProblem = client is null && savedRunning ? ConfigProblem(package!) : null;
        var status = package?.State.Status == InstalledStatus.Disabled ? "disabled"
            : configProblem is not null ? "crashed"
            : now?.State switch
            {
                PluginState.Running => "running",
                PluginState.Starting => "starting",
                PluginState.Crashed when client is not null || savedRunning => "crashed",
                _ => "stopped",
            };
        var lastError = configProblem ?? now?.LastError;
        var pid = now?.ProcessId;
        var restarts = now?.RestartCount ?? 0;
        var reported = client?.Metadata;
        var manifest = package?.Manifest;
        var metadata = new ManagedPluginMetadata(
            manifest?.Name ?? (string.IsNullOrEmpty(reported?.Name) ? name : reported.Name),
            manifest?.Version.ToString() ?? reported?.Version ?? string.Empty,
            manifest?.Description ?? reported?.Description ?? string.Empty,
            manifest?.Authors,
            manifest is null ? null : new PackageBuilderInfo(manifest.Builder.Name, manifest.Builder.Contact),
            manifest?.SourceUrl.ToString(),
            manifest?.BuildTime,
            manifest?.Types.Select(Lower).ToList() ?? [Lower(client!.Type)],
            reported is { ApiVersions.Count: > 0 } ? [.. reported.ApiVersions] : manifest?.ApiVersions ?? [],
            manifest?.HostVersions.Text,
            reported?.Capabilities.Select(c => c.ToString()).ToList() ?? [],
            manifest?.Signature?.KeyId);
        return new ManagedPlugin(
            name,
            metadata.Types[0],
            package is null ? "builtin" : "package",
            package?.State.Priority ?? manifest?.Priority ?? PluginOptions.DefaultPriority,
            status,
            pid,
            restarts,
            lastError,
            metadata,
            package?.State.Config,
            manifest?.ConfigSchema,
            [new PluginNodeStatus(NodeName, status, pid, restarts, lastError)])
        {
            Sandbox = new ManagedPluginSandbox(manifest?.Resources, manifest?.Permissions, now?.State is PluginState.Running or PluginState.Starting or PluginState.Stopping && client is not null ? client.Sandbox : null),
        };
    }

    // A move takes effect at once: the registry orders plugins by the Priority of the options they run with.
    internal void ApplyPriority(string name, int priority) => _registry.SetPriority(name, priority);

    private PluginClient? Listed(string name) => _registry.Plugins.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    internal bool IsBuiltin(string name) => _hostOptions.Plugins.ContainsKey(name);

    private void RefuseBuiltin(string name, string what)
    {
        if (IsBuiltin(name))
        {
            throw PluginException.FromHost(PluginErrorCode.FailedPrecondition, $"'{name}' is a built-in plugin from the host's configuration and cannot be {what}.", name);
        }
    }

    private static string Lower<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static async Task CopyLimitedAsync(Stream source, Stream destination, long limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > limit)
            {
                throw new PackageException(PackageProblem.TooLarge, $"The package is larger than {limit} bytes, the most this host accepts (MaxPackageBytes in its plugin management settings).");
            }

            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        if (total == 0)
        {
            throw new PackageException(PackageProblem.InvalidArchive, "The upload is empty: send the package's bytes as the request body.");
        }
    }
}
