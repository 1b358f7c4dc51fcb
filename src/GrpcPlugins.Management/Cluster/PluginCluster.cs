using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using GrpcPlugins.Management.Cluster;
using GrpcPlugins.Packaging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace GrpcPlugins.Management;

/// <summary>
/// Cluster mode of plugin management, in EMQX's model on PostgreSQL: the catalog of package plugins (each package's
/// signed bytes, version, status, configuration, priority) and the trusted signing keys are a desired state in the shared
/// database; every node converges to it, verifying each package again with the cluster's keys (and those of its own
/// settings) before it runs, when a change is announced
/// (LISTEN/NOTIFY) and every <see cref="PluginClusterOptions.ReconcileInterval"/> (so a node that was down catches up),
/// and reports the status of its plugins per node. Nodes register with a heartbeat. An upgrade rolls one node at a time,
/// each with the zero-downtime replace of <see cref="PluginManager"/>, and stops at the first node that fails, which is
/// rolled back; a roll whose coordinating node dies is taken over (PostgreSQL's row lock picks one node) and finished
/// by another. Inert (every member but <see cref="IsEnabled"/> refuses) while <see cref="PluginClusterOptions.ConnectionString"/>
/// is unset. Registered and started by <c>AddGrpcPluginsManagement</c>, after the <see cref="PluginManager"/>.
/// </summary>
public sealed class PluginCluster : BackgroundService
{
    private readonly PluginManager _manager;
    private readonly PluginClusterOptions _options;
    private readonly ILogger<PluginCluster> _logger;
    private readonly ClusterStore? _store;
    private readonly SemaphoreSlim _reconciling = new(1, 1);
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly TaskCompletionSource _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _rejoined;

    // Catalog versions this node refused (its own checks, or a failed start), so it does not try them again and again.
    private readonly ConcurrentDictionary<string, (string Version, string Error)> _refused = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates the cluster service; it connects to the database only when the host starts it.</summary>
    /// <param name="manager">This node's plugin manager, which carries out every change here.</param>
    /// <param name="options">The management settings, with <see cref="PluginManagementOptions.Cluster"/>.</param>
    /// <param name="logger">Logs joins, convergence steps and rolls.</param>
    public PluginCluster(PluginManager manager, IOptions<PluginManagementOptions> options, ILogger<PluginCluster> logger)
    {
        ArgumentNullException.ThrowIfNull(manager);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _manager = manager;
        _options = options.Value.Cluster;
        _logger = logger;
        NodeName = options.Value.NodeName;
        if (_options.IsEnabled)
        {
            _store = new ClusterStore(NpgsqlDataSource.Create(_options.ConnectionString!));
        }
    }

    /// <summary>Whether cluster mode is on (<see cref="PluginClusterOptions.ConnectionString"/> is set).</summary>
    public bool IsEnabled => _store is not null;

    /// <summary>This node's name (<see cref="PluginManagementOptions.NodeName"/>).</summary>
    public string NodeName { get; }

    private static DateTimeOffset Started { get; } = new(System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime());

    private TimeSpan DeadAfter => _options.HeartbeatInterval * _options.DeadAfterMissedHeartbeats;

    /// <summary>Every node that ever joined, by name, and whether each is alive; with cluster mode off, this node alone.</summary>
    /// <param name="cancellationToken">Abandons the query.</param>
    /// <returns>The nodes.</returns>
    /// <exception cref="PluginException">The database is not reachable (Unavailable).</exception>
    public async Task<IReadOnlyList<ClusterNode>> ListNodesAsync(CancellationToken cancellationToken)
    {
        if (!IsEnabled)
        {
            return [new ClusterNode(NodeName, true, DateTimeOffset.UtcNow, Started)];
        }

        return await CallAsync(store => store.NodesAsync(DeadAfter, cancellationToken));
    }

    /// <summary>The latest rolling upgrade of a plugin.</summary>
    /// <param name="name">The plugin.</param>
    /// <param name="cancellationToken">Abandons the query.</param>
    /// <returns>The roll.</returns>
    /// <exception cref="PluginException">Cluster mode is off, the database is not reachable, or the plugin was never rolled (NotFound).</exception>
    public async Task<PluginRoll> GetRollAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        return await CallAsync(store => store.LatestRollAsync(name, cancellationToken))
            ?? throw PluginException.FromHost(PluginErrorCode.NotFound, $"'{name}' was never upgraded across the cluster; a rolling upgrade starts when a newer version is uploaded to any node.", name);
    }

    /// <summary>The plugins with the status of each on every node, this node's taken live and the others' as they last reported.</summary>
    internal async Task<IReadOnlyList<ManagedPlugin>> WithNodesAsync(IReadOnlyList<ManagedPlugin> plugins, CancellationToken cancellationToken)
    {
        var (nodes, reports) = await CallAsync(async store => (await store.NodesAsync(DeadAfter, cancellationToken), await store.ReportsAsync(cancellationToken)));
        var byKey = reports.ToDictionary(r => (r.Node, r.Name.ToLowerInvariant()));
        return [.. plugins.Select(plugin => plugin with
        {
            NodeStatus = [.. nodes.Select(node => NodeStatus(node, plugin, byKey.GetValueOrDefault((node.Name, plugin.Name.ToLowerInvariant()))))],
        })];
    }

    /// <summary>Installs a package for the cluster, or rolls a newer version of a catalog plugin out node by node.</summary>
    internal async Task<(ManagedPlugin Plugin, string? UpgradedFrom)> InstallAsync(Stream package, bool acceptPermissions, CancellationToken cancellationToken)
    {
        var store = Store();
        // This node's check uses the cluster's keys as they are now, even if a key added through another node was not
        // announced here yet.
        await RefreshKeysAsync(store, cancellationToken);
        return await _manager.ReceiveAsync(package, async path =>
        {
            // This node's checks first: what it refuses never reaches the catalog.
            var verified = _manager.Directory.Installer.Verifier.Verify(path);
            var manifest = verified.Manifest;
            if (_manager.IsBuiltin(manifest.Name))
            {
                throw new PackageException(PackageProblem.DuplicateName, $"Refused '{manifest.Name}': a built-in plugin of this node has that name. Rename the package's plugin, or remove the built-in one from the host's Plugins configuration.");
            }

            var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
            var entry = await store.CatalogEntryAsync(manifest.Name, cancellationToken);
            if (entry is null)
            {
                if (!await store.AddAsync(manifest.Name, manifest.Version.ToString(), bytes, cancellationToken))
                {
                    throw new PackageException(PackageProblem.DuplicateName, $"Refused '{manifest.Name}': another node installed it at the same moment. List the plugins, then upload a newer version to upgrade it.");
                }

                await AnnounceAsync(store, cancellationToken);
                await ReconcileNowAsync(cancellationToken);
                return (await DescribeAsync(manifest.Name, cancellationToken), (string?)null);
            }

            var from = PluginVersion.Parse(entry.Version);
            if (manifest.Version <= from)
            {
                throw new PackageException(PackageProblem.NotNewer, $"Refused: the cluster's catalog has '{entry.Name}' {from}, and this package is {manifest.Version}, {(manifest.Version.CompareTo(from) == 0 ? "the same version" : "an older version")}; only a newer version upgrades. To install it anyway, uninstall '{entry.Name}' first (its configuration is then lost), then install this package.");
            }

            if (_manager.Directory.IsInstalled(manifest.Name)
                && manifest.WidensFrom(_manager.Directory.Get(manifest.Name).Manifest) is { Count: > 0 } widens
                && !acceptPermissions)
            {
                throw new PackageException(PackageProblem.PermissionsWiden, $"'{manifest.Name}' {manifest.Version} asks for more than the installed {from} may use: {string.Join("; ", widens)}. Review these, then upload it again with ?acceptPermissions=true to accept them; the cluster keeps {from}.")
                {
                    Reasons = widens,
                };
            }

            await RollAsync(store, entry.Name, from.ToString(), manifest.Version.ToString(), bytes, cancellationToken);
            return (await DescribeAsync(manifest.Name, cancellationToken), (string?)from.ToString());
        }, cancellationToken);
    }

    /// <summary>Sets a plugin's status for the whole cluster (ending every node's override), and converges this node.</summary>
    internal async Task<ManagedPlugin> SetStatusAsync(string name, InstalledStatus status, CancellationToken cancellationToken)
    {
        var store = Store();
        var entry = await CatalogEntryAsync(store, name, cancellationToken);
        await store.SetStatusAsync(entry.Name, ReconcilePlan.Text(status), cancellationToken);
        await AnnounceAsync(store, cancellationToken);
        await ReconcileNowAsync(cancellationToken);
        return await DescribeAsync(entry.Name, cancellationToken);
    }

    /// <summary>Starts or stops a plugin on one node only: an override of the catalog's status for that node.</summary>
    internal async Task<ManagedPlugin> SetNodeStatusAsync(string node, string name, InstalledStatus status, CancellationToken cancellationToken)
    {
        var store = Store();
        var nodes = await store.NodesAsync(DeadAfter, cancellationToken);
        var target = nodes.FirstOrDefault(n => string.Equals(n.Name, node, StringComparison.Ordinal))
            ?? throw PluginException.FromHost(PluginErrorCode.NotFound, $"No node is named '{node}'; the nodes are {string.Join(", ", nodes.Select(n => n.Name))} (GET /v1/nodes).", name);
        var entry = await CatalogEntryAsync(store, name, cancellationToken);
        await store.SetOverrideAsync(target.Name, entry.Name, ReconcilePlan.Text(status), cancellationToken);
        await AnnounceAsync(store, cancellationToken);
        if (target.Name == NodeName)
        {
            await ReconcileNowAsync(cancellationToken);
        }
        else if (target.Alive)
        {
            // Answer with the node's own report once it has converged (or what it reports when the wait ends).
            await WaitAsync(
                async () => (await store.ReportsAsync(cancellationToken)).Any(r => r.Node == target.Name && string.Equals(r.Name, entry.Name, StringComparison.OrdinalIgnoreCase) && IsSettled(r.Status, status)),
                _options.NodeUpgradeTimeout,
                cancellationToken);
        }

        return await DescribeAsync(entry.Name, cancellationToken);
    }

    /// <summary>Uninstalls a plugin from the cluster: it leaves the catalog, and every node removes it.</summary>
    internal async Task UninstallAsync(string name, CancellationToken cancellationToken)
    {
        var store = Store();
        var entry = await CatalogEntryAsync(store, name, cancellationToken);
        await store.RemoveAsync(entry.Name, cancellationToken);
        await AnnounceAsync(store, cancellationToken);
        await ReconcileNowAsync(cancellationToken);
    }

    /// <summary>
    /// Gives a plugin a new configuration: checked and applied on this node first (a refused one changes nothing), then
    /// saved in the catalog for every node.
    /// </summary>
    internal async Task<ManagedPlugin> SetConfigAsync(string name, JsonObject config, CancellationToken cancellationToken)
    {
        var store = Store();
        var entry = await CatalogEntryAsync(store, name, cancellationToken);
        await _reconciling.WaitAsync(cancellationToken);
        try
        {
            await _manager.SetConfigAsync(entry.Name, config, cancellationToken);
            await store.SetConfigAsync(entry.Name, _manager.Directory.Get(entry.Name).State.Config, cancellationToken);
        }
        finally
        {
            _reconciling.Release();
        }

        await AnnounceAsync(store, cancellationToken);
        return await DescribeAsync(entry.Name, cancellationToken);
    }

    /// <summary>Saves a plugin's new priority (a move on this node) in the catalog for every node.</summary>
    internal async Task SavePriorityAsync(string name, int priority, CancellationToken cancellationToken)
    {
        var store = Store();
        var entry = await CatalogEntryAsync(store, name, cancellationToken);
        await store.SetPriorityAsync(entry.Name, priority, cancellationToken);
        await AnnounceAsync(store, cancellationToken);
    }

    /// <summary>
    /// The keys every node trusts: this node's from its settings, then the cluster's (from the database, not this node's
    /// copy of them), oldest first.
    /// </summary>
    internal async Task<IReadOnlyList<TrustedKey>> ListKeysAsync(CancellationToken cancellationToken)
    {
        var cluster = await CallAsync(store => store.KeysAsync(cancellationToken));
        return [.. _manager.Keys.Configured, .. cluster.Where(k => !_manager.Keys.IsConfigured(k.Fingerprint))];
    }

    /// <summary>Trusts a key on every node: it joins the cluster's keys, and each node applies it at the next change or interval.</summary>
    internal async Task<(TrustedKey Key, bool Added)> AddKeyAsync(string publicKeyPem, CancellationToken cancellationToken)
    {
        var key = TrustedKeyring.Parse(publicKeyPem, "cluster", null);
        if (_manager.Keys.Configured.FirstOrDefault(k => k.Fingerprint == key.Fingerprint) is { } configured)
        {
            return (configured, false);
        }

        var store = Store();
        var added = await CallAsync(s => s.AddKeyAsync(key, cancellationToken));
        await AnnounceAsync(store, cancellationToken);
        await ReconcileNowAsync(cancellationToken);
        return ((await store.KeysAsync(cancellationToken)).FirstOrDefault(k => k.Fingerprint == key.Fingerprint) ?? key, added);
    }

    /// <summary>
    /// Stops trusting a key on every node; the packages it signed stay installed and running (as on a single host), and
    /// the next install or upgrade signed by it is refused by every node.
    /// </summary>
    internal async Task<TrustedKey> RemoveKeyAsync(string fingerprint, CancellationToken cancellationToken)
    {
        var store = Store();
        var keys = await ListKeysAsync(cancellationToken);
        var key = keys.FirstOrDefault(k => string.Equals(k.Fingerprint, fingerprint, StringComparison.OrdinalIgnoreCase))
            ?? throw PluginException.FromHost(PluginErrorCode.NotFound, $"No key trusted by the cluster or this node's settings has the fingerprint '{fingerprint}'. List them with `grpcplugins keys list` (or GET keys of the management API).");
        if (key.Source == "config")
        {
            throw _manager.Keys.ConfiguredKeyCannotBeRemoved(key);
        }

        await CallAsync(s => s.RemoveKeyAsync(key.Fingerprint, cancellationToken));
        await AnnounceAsync(store, cancellationToken);
        await ReconcileNowAsync(cancellationToken);
        return key;
    }

    /// <summary>Joins the cluster, then heartbeats, listens for changes and converges until the host stops.</summary>
    /// <param name="stoppingToken">Set when the host stops.</param>
    /// <returns>A task that ends when the host stops.</returns>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_store is not { } store)
        {
            return;
        }

        while (!_joined.Task.IsCompleted)
        {
            try
            {
                await store.CreateSchemaAsync(stoppingToken);
                await store.HeartbeatAsync(NodeName, joining: true, stoppingToken);
                _joined.TrySetResult();
                ClusterLog.Joined(_logger, NodeName);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                ClusterLog.DatabaseUnreachable(_logger, ex.Message);
                await Delay(_options.HeartbeatInterval, stoppingToken);
            }
        }

        await Task.WhenAll(
            RepeatAsync(ct => HeartbeatAsync(store, ct), _options.HeartbeatInterval, stoppingToken),
            ListenAsync(store, stoppingToken),
            ConvergeLoopAsync(stoppingToken));
    }

    /// <summary>Leaves the plugins as they are and closes the database's connections.</summary>
    /// <param name="cancellationToken">Ends the wait for the loops.</param>
    /// <returns>A task that completes when the loops have ended.</returns>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    /// <summary>
    /// Brings this node to the catalog now: a rolling upgrade's step asked of it first, then the plan's steps, then a
    /// report of its plugins. One at a time.
    /// </summary>
    internal async Task ReconcileNowAsync(CancellationToken cancellationToken)
    {
        var store = Store();
        await _reconciling.WaitAsync(cancellationToken);
        try
        {
            // The cluster's keys first: every package below is verified with them.
            await RefreshKeysAsync(store, cancellationToken);

            await RollStepAsync(store, cancellationToken);
            var catalog = await store.CatalogAsync(cancellationToken);
            var overrides = await store.OverridesAsync(NodeName, cancellationToken);
            var local = _manager.Directory.List()
                .Select(p => new LocalPlugin(p.Manifest.Name, p.Manifest.Version, p.State.Status, p.State.Config, p.State.Priority))
                .ToList();
            foreach (var name in _refused.Keys.Where(n => catalog.All(e => !string.Equals(e.Name, n, StringComparison.OrdinalIgnoreCase) || e.Version != _refused[n].Version)))
            {
                _refused.TryRemove(name, out _);
            }

            var failed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var step in ReconcilePlan.For(catalog, overrides, local))
            {
                var entry = catalog.FirstOrDefault(e => string.Equals(e.Name, step.Name, StringComparison.OrdinalIgnoreCase));
                if (failed.Contains(step.Name) || (entry is not null && _refused.TryGetValue(step.Name, out var refused) && refused.Version == entry.Version && step.Action is ReconcileAction.Install or ReconcileAction.Upgrade))
                {
                    failed.Add(step.Name);
                    continue;
                }

                try
                {
                    await ApplyAsync(store, step, entry, cancellationToken);
                    ClusterLog.StepDone(_logger, NodeName, step.Name, step.Action);
                }
                catch (PluginException ex)
                {
                    failed.Add(step.Name);
                    ClusterLog.StepFailed(_logger, NodeName, step.Name, step.Action, ex.Message);
                    if (entry is not null && step.Action is ReconcileAction.Install or ReconcileAction.Upgrade)
                    {
                        _refused[step.Name] = (entry.Version, ex.Message);
                    }
                }
            }

            await store.ReportAsync(NodeName, Reports(), cancellationToken);
        }
        finally
        {
            _reconciling.Release();
        }
    }

    // A refusal may have been for a key not trusted then, so a change of keys lets the refused versions be tried again.
    private async Task RefreshKeysAsync(ClusterStore store, CancellationToken cancellationToken)
    {
        if (_manager.Keys.UseCluster(await store.KeysAsync(cancellationToken)))
        {
            _refused.Clear();
        }
    }

    private async Task ApplyAsync(ClusterStore store, ReconcileStep step, CatalogEntry? entry, CancellationToken cancellationToken)
    {
        switch (step.Action)
        {
            case ReconcileAction.Install or ReconcileAction.Upgrade:
                await InstallVerifiedAsync(await store.PackageAsync(entry!.Name, cancellationToken), entry.Name, entry.Version, cancellationToken);
                break;
            case ReconcileAction.SetConfig:
                await _manager.SetConfigAsync(step.Name, (JsonObject)entry!.Config!.DeepClone(), cancellationToken);
                break;
            case ReconcileAction.SetPriority:
                _manager.Directory.Store.Change(step.Name, state => state with { Priority = entry!.Priority });
                _manager.ApplyPriority(step.Name, entry!.Priority!.Value);
                break;
            case ReconcileAction.SetStatus:
                await _manager.SetStatusAsync(step.Name, step.Status!.Value, cancellationToken);
                break;
            case ReconcileAction.Uninstall:
                await _manager.UninstallAsync(step.Name, cancellationToken);
                _refused.TryRemove(step.Name, out _);
                break;
        }
    }

    // The package from the database is verified here with this node's keys, and must be the plugin and version the catalog says.
    private Task InstallVerifiedAsync(byte[] package, string name, string version, CancellationToken cancellationToken) =>
        _manager.ReceiveAsync(new MemoryStream(package, writable: false), async path =>
        {
            var manifest = _manager.Directory.Installer.Verifier.Verify(path).Manifest;
            if (!string.Equals(manifest.Name, name, StringComparison.OrdinalIgnoreCase) || manifest.Version.ToString() != version)
            {
                throw new PackageException(PackageProblem.ManifestInvalid, $"Refused the cluster catalog's package for '{name}' {version}: it holds '{manifest.Name}' {manifest.Version}. The catalog was changed outside the management API; upload the package again.");
            }

            return await _manager.InstallReceivedAsync(path, acceptPermissions: true, cancellationToken);
        }, cancellationToken);

    // One node's step of a rolling upgrade: the zero-downtime replace (rolled back by the manager if the new version
    // fails to start or its health check), then the health gate: the new version running here.
    private async Task RollStepAsync(ClusterStore store, CancellationToken cancellationToken)
    {
        if (await store.StepForAsync(NodeName, cancellationToken) is not { } step)
        {
            return;
        }

        var (roll, package) = step;
        try
        {
            var installed = _manager.Directory.IsInstalled(roll.Name) ? _manager.Directory.Get(roll.Name) : null;
            if (installed?.Manifest.Version.ToString() != roll.To)
            {
                await InstallVerifiedAsync(package, roll.Name, roll.To, cancellationToken);
            }

            if (_manager.Directory.Get(roll.Name).State.Status == InstalledStatus.Running
                && !await WaitAsync(() => Task.FromResult(_manager.Get(roll.Name).Status == "running"), _options.NodeUpgradeTimeout, cancellationToken))
            {
                // It took the calls and then went down: back to the catalog's version, by a fresh install of it.
                await _manager.UninstallAsync(roll.Name, cancellationToken);
                throw PluginException.FromHost(PluginErrorCode.Unavailable, $"{roll.To} was not running on node '{NodeName}' within {_options.NodeUpgradeTimeout.TotalSeconds:0} s of taking over: {_manager.Get(roll.Name).LastError}", roll.Name);
            }

            await store.NodeDoneAsync(roll.Id, NodeName, cancellationToken);
            ClusterLog.RollNodeDone(_logger, roll.Id, roll.Name, roll.To, NodeName);
        }
        catch (PluginException ex)
        {
            await store.FailRollAsync(roll.Id, NodeName, ex.Message, cancellationToken);
            ClusterLog.RollStopped(_logger, roll.Id, roll.Name, roll.To, NodeName, ex.Message);
        }

        await AnnounceAsync(store, cancellationToken);
    }

    // A rolling upgrade asked of this node: it records the roll with itself as coordinator, then drives it.
    private async Task RollAsync(ClusterStore store, string name, string from, string to, byte[] package, CancellationToken cancellationToken)
    {
        var id = await store.StartRollAsync(name, from, to, package, NodeName, cancellationToken);
        var roll = await DriveRollAsync(store, id, package, cancellationToken);
        if (roll is { State: "failed" })
        {
            throw new PackageException(PackageProblem.UpgradeFailed, StoppedMessage(roll, await store.NodesAsync(DeadAfter, cancellationToken)));
        }
    }

    // The coordinator of a rolling upgrade: the alive nodes by name that do not run the new version yet, one at a time
    // (a node another coordinator asked before it died is asked again: its step is idempotent); the catalog takes the
    // new version only when every one of them runs it. Stops early if another node took the coordination over.
    private async Task<PluginRoll?> DriveRollAsync(ClusterStore store, long id, byte[] package, CancellationToken cancellationToken)
    {
        var roll = await store.RollAsync(id, cancellationToken);
        foreach (var node in (await store.NodesAsync(DeadAfter, cancellationToken)).Where(n => n.Alive))
        {
            roll = await store.RollAsync(id, cancellationToken);
            if (roll is null || roll.NodesDone.Contains(node.Name))
            {
                continue;
            }

            if (!await store.SetRollNodeAsync(id, node.Name, NodeName, cancellationToken))
            {
                return await store.RollAsync(id, cancellationToken);
            }

            await AnnounceAsync(store, cancellationToken);
            if (node.Name == NodeName)
            {
                await ReconcileNowAsync(cancellationToken);
            }

            var finished = await WaitAsync(
                async () =>
                {
                    roll = await store.RollAsync(id, cancellationToken);
                    return roll is null || roll.State != "rolling" || roll.NodesDone.Contains(node.Name);
                },
                _options.NodeUpgradeTimeout,
                cancellationToken);
            if (!finished)
            {
                await store.FailRollAsync(id, node.Name, $"node '{node.Name}' did not report within {_options.NodeUpgradeTimeout.TotalSeconds:0} s (NodeUpgradeTimeout); see its log.", cancellationToken);
                roll = await store.RollAsync(id, cancellationToken);
            }
            else if (roll is { State: "rolling" } && _options.PauseBetweenNodes > TimeSpan.Zero)
            {
                roll = await WatchNodeAsync(store, roll, node.Name, cancellationToken);
            }

            if (roll is not { State: "rolling" })
            {
                await AnnounceAsync(store, cancellationToken);
                return roll;
            }
        }

        // Every alive node runs it; unless the roll ended or changed hands meanwhile, the catalog takes the new version.
        roll = await store.RollAsync(id, cancellationToken);
        if (roll is not { State: "rolling" } || roll.Coordinator != NodeName)
        {
            return roll;
        }

        await store.SetPackageAsync(roll.Name, roll.To, package, cancellationToken);
        await store.FinishRollAsync(id, cancellationToken);
        ClusterLog.RollDone(_logger, id, roll.Name, roll.To);
        await AnnounceAsync(store, cancellationToken);
        await ReconcileNowAsync(cancellationToken);
        return await store.RollAsync(id, cancellationToken);
    }

    // PauseBetweenNodes: the node must still run the new version when the pause ends (its heartbeat's report says so).
    private async Task<PluginRoll?> WatchNodeAsync(ClusterStore store, PluginRoll roll, string node, CancellationToken cancellationToken)
    {
        await Task.Delay(_options.PauseBetweenNodes, cancellationToken);
        var report = node == NodeName
            ? Reports().FirstOrDefault(r => string.Equals(r.Name, roll.Name, StringComparison.OrdinalIgnoreCase))
            : (await store.ReportsAsync(cancellationToken)).FirstOrDefault(r => r.Node == node && string.Equals(r.Name, roll.Name, StringComparison.OrdinalIgnoreCase));
        var wanted = ReconcilePlan.ParseStatus((await store.CatalogEntryAsync(roll.Name, cancellationToken))?.Status ?? "running");
        if (report is not null && report.Version == roll.To && (wanted != InstalledStatus.Running || report.Status == "running"))
        {
            return await store.RollAsync(roll.Id, cancellationToken);
        }

        await store.FailRollAsync(roll.Id, node, $"node '{node}' no longer ran {roll.To} {_options.PauseBetweenNodes.TotalSeconds:0} s after taking it over (PauseBetweenNodes): it reports {report?.Version ?? "nothing"} {report?.Status}{(report?.LastError is { } error ? ": " + error : string.Empty)}.", cancellationToken);
        return await store.RollAsync(roll.Id, cancellationToken);
    }

    // A roll whose coordinator died would stay rolling for ever: the first alive node to notice (PostgreSQL's row lock
    // picks exactly one) takes it over and finishes it from where it stopped. Finishing, not rolling back: every node
    // that runs the new version passed the health gate, and the catalog never downgrades a node (ReconcilePlan), so a
    // roll back would have nothing to return those nodes to. The roll's reason says who died and who took over.
    private async Task TakeOverRollsAsync(ClusterStore store, bool own, CancellationToken cancellationToken)
    {
        foreach (var (id, previous) in await store.OrphanedRollsAsync(NodeName, own, DeadAfter, cancellationToken))
        {
            if (await store.RollAsync(id, cancellationToken) is not { } roll)
            {
                continue;
            }

            var where = roll.CurrentNode is { } at ? $"at node '{at}'" : $"after {(roll.NodesDone.Count > 0 ? string.Join(", ", roll.NodesDone) : "no node")}";
            var reason = previous == NodeName
                ? $"coordinator node '{NodeName}' restarted {where}; it took the roll over again and finished it"
                : $"coordinator node '{previous ?? "unknown"}' died {where}; node '{NodeName}' took the roll over and finished it";
            if (!await store.TakeOverRollAsync(id, previous, NodeName, reason, cancellationToken))
            {
                continue;
            }

            ClusterLog.RollTakenOver(_logger, id, roll.Name, roll.To, previous ?? "unknown", NodeName);
            var package = await store.RollPackageAsync(id, cancellationToken);
            // In the background: a roll takes minutes, and the heartbeat must go on meanwhile.
            _ = Task.Run(() => GuardAsync(ct => DriveRollAsync(store, id, package, ct), cancellationToken), CancellationToken.None);
        }
    }

    private static string StoppedMessage(PluginRoll roll, IReadOnlyList<ClusterNode> nodes)
    {
        var notReached = nodes.Where(n => n.Alive && n.Name != roll.FailedNode && !roll.NodesDone.Contains(n.Name)).Select(n => n.Name).ToList();
        return $"The rolling upgrade of '{roll.Name}' from {roll.From} to {roll.To} stopped at node '{roll.FailedNode}': {roll.Reason} "
            + $"Node '{roll.FailedNode}' was rolled back and runs {roll.From}; "
            + (roll.NodesDone.Count == 0 ? "no node runs " + roll.To : $"{string.Join(", ", roll.NodesDone)} run{(roll.NodesDone.Count == 1 ? "s" : string.Empty)} {roll.To}")
            + (notReached.Count == 0 ? "; " : $"; {string.Join(", ", notReached)} {(notReached.Count == 1 ? "was" : "were")} not reached and run{(notReached.Count == 1 ? "s" : string.Empty)} {roll.From}; ")
            + $"the catalog keeps {roll.From}, so nodes that join or return get {roll.From}. GET /v1/plugins/{roll.Name}/roll shows this roll. Fix the cause on '{roll.FailedNode}' and upload {roll.To} again: the nodes that run it are skipped.";
    }

    private async Task HeartbeatAsync(ClusterStore store, CancellationToken cancellationToken)
    {
        await store.HeartbeatAsync(NodeName, joining: false, cancellationToken);
        // After a restart of this node, its own rolls too: the process that coordinated them is gone.
        await TakeOverRollsAsync(store, own: !_rejoined, cancellationToken);
        _rejoined = true;
        // Outside a reconcile, so the report never shows a half-done step.
        if (await _reconciling.WaitAsync(0, cancellationToken))
        {
            try
            {
                await store.ReportAsync(NodeName, Reports(), cancellationToken);
            }
            finally
            {
                _reconciling.Release();
            }
        }
    }

    // A dedicated connection waits for the catalog's notifications; any of them wakes the converge loop.
    private async Task ListenAsync(ClusterStore store, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await store.Data.OpenConnectionAsync(cancellationToken);
                connection.Notification += (_, _) => _wake.Writer.TryWrite(true);
                await using (var listen = new NpgsqlCommand($"LISTEN {ClusterStore.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }

                // Whatever changed while nobody listened.
                _wake.Writer.TryWrite(true);
                while (true)
                {
                    await connection.WaitAsync(cancellationToken);
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                ClusterLog.DatabaseUnreachable(_logger, ex.Message);
                await Delay(_options.HeartbeatInterval, cancellationToken);
            }
        }
    }

    // A loop's failure is logged and the loop goes on: a background service that throws would stop the host.
    private async Task GuardAsync(Func<CancellationToken, Task> action, CancellationToken cancellationToken)
    {
        try
        {
            await action(cancellationToken);
        }
        catch (Exception ex) when (IsDatabaseError(ex) && !cancellationToken.IsCancellationRequested)
        {
            ClusterLog.DatabaseUnreachable(_logger, ex.Message);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            ClusterLog.ConvergeFailed(_logger, NodeName, ex);
        }
    }

    private async Task ConvergeLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await GuardAsync(ReconcileNowAsync, cancellationToken);

            using var interval = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            interval.CancelAfter(_options.ReconcileInterval);
            try
            {
                await _wake.Reader.ReadAsync(interval.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The interval passed without a notification: converge anyway.
            }
        }
    }

    private async Task RepeatAsync(Func<CancellationToken, Task> action, TimeSpan every, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await GuardAsync(action, cancellationToken);
            await Delay(every, cancellationToken);
        }
    }

    // What this node reports: each plugin's status here, and the catalog versions it refused and why.
    private List<NodeReport> Reports()
    {
        var reports = _manager.List()
            .Select(p => new NodeReport(NodeName, p.Name, p.Metadata.Version, p.Status, p.Pid, p.RestartCount, _refused.TryGetValue(p.Name, out var refused) ? $"Refused {refused.Version}: {refused.Error}" : p.LastError))
            .ToList();
        reports.AddRange(_refused
            .Where(r => reports.All(p => !string.Equals(p.Name, r.Key, StringComparison.OrdinalIgnoreCase)))
            .Select(r => new NodeReport(NodeName, r.Key, null, "refused", null, 0, $"Refused {r.Value.Version}: {r.Value.Error}")));
        return reports;
    }

    private PluginNodeStatus NodeStatus(ClusterNode node, ManagedPlugin plugin, NodeReport? report)
    {
        if (node.Name == NodeName)
        {
            var refused = _refused.TryGetValue(plugin.Name, out var why) ? $"Refused {why.Version}: {why.Error}" : null;
            return new PluginNodeStatus(node.Name, plugin.Status, plugin.Pid, plugin.RestartCount, refused ?? plugin.LastError) { Version = plugin.Metadata.Version };
        }

        return report is null
            ? new PluginNodeStatus(node.Name, node.Alive ? "absent" : "unknown", null, 0, null)
            : new PluginNodeStatus(node.Name, node.Alive ? report.Status : "unknown", report.Pid, report.RestartCount, report.LastError) { Version = report.Version };
    }

    private async Task<ManagedPlugin> DescribeAsync(string name, CancellationToken cancellationToken) =>
        (await WithNodesAsync([_manager.Get(name)], cancellationToken))[0];

    private static async Task<CatalogEntry> CatalogEntryAsync(ClusterStore store, string name, CancellationToken cancellationToken) =>
        await store.CatalogEntryAsync(name, cancellationToken)
        ?? throw PluginException.FromHost(PluginErrorCode.NotFound, $"The cluster's catalog has no plugin named '{name}'. List them with GET /v1/plugins; built-in plugins come from each node's configuration and are managed on that node.", name);

    private static bool IsSettled(string reported, InstalledStatus wanted) => wanted switch
    {
        InstalledStatus.Running => reported is "running" or "crashed",
        InstalledStatus.Disabled => reported == "disabled",
        _ => reported is "stopped" or "crashed",
    };

    private Task AnnounceAsync(ClusterStore store, CancellationToken cancellationToken) => store.NotifyAsync(NodeName, cancellationToken);

    private ClusterStore Store()
    {
        if (_store is null)
        {
            throw PluginException.FromHost(PluginErrorCode.FailedPrecondition, "Cluster mode is off on this host: set the plugin management setting Cluster:ConnectionString to the PostgreSQL database the nodes share.");
        }

        if (!_joined.Task.IsCompleted)
        {
            throw PluginException.FromHost(PluginErrorCode.Unavailable, $"Node '{NodeName}' has not joined the plugin cluster yet: its database is not reachable. Try again in a few seconds; the host's log says why.");
        }

        return _store;
    }

    private async Task<T> CallAsync<T>(Func<ClusterStore, Task<T>> call)
    {
        var store = Store();
        try
        {
            return await call(store);
        }
        catch (Exception ex) when (IsDatabaseError(ex))
        {
            throw PluginException.FromHost(PluginErrorCode.Unavailable, $"The plugin cluster's database did not answer ({ex.Message}). Try again once PostgreSQL is back; the nodes keep their plugins as they are meanwhile.");
        }
    }

    private static async Task<bool> WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }

        return true;
    }

    private static async Task Delay(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host stops.
        }
    }

    private static bool IsDatabaseError(Exception ex) => ex is NpgsqlException or SocketException or TimeoutException or InvalidOperationException or IOException;
}
