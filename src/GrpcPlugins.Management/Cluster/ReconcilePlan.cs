using System.Text.Json.Nodes;
using GrpcPlugins.Packaging;

namespace GrpcPlugins.Management.Cluster;

/// <summary>What a node has of one package plugin, as the plan compares it with the catalog.</summary>
internal sealed record LocalPlugin(string Name, PluginVersion Version, InstalledStatus Status, JsonObject Config, int? Priority);

/// <summary>What a node does to converge, for one plugin.</summary>
internal enum ReconcileAction
{
    /// <summary>Install the catalog's package (it is verified again here).</summary>
    Install,

    /// <summary>Upgrade to the catalog's newer package, without downtime.</summary>
    Upgrade,

    /// <summary>Take the catalog's configuration.</summary>
    SetConfig,

    /// <summary>Take the catalog's priority.</summary>
    SetPriority,

    /// <summary>Start, stop or disable it, as the catalog (or this node's override) says.</summary>
    SetStatus,

    /// <summary>Uninstall it: the catalog no longer has it.</summary>
    Uninstall,
}

/// <summary>One step of a plan.</summary>
/// <param name="Name">The plugin.</param>
/// <param name="Action">What to do.</param>
/// <param name="Status">For <see cref="ReconcileAction.SetStatus"/>, the status to take.</param>
internal sealed record ReconcileStep(string Name, ReconcileAction Action, InstalledStatus? Status = null);

/// <summary>
/// The steps that bring one node's package plugins to the catalog's desired state. Pure, so it is tested alone: the node
/// applies the steps in order, per plugin, and stops that plugin's steps at the first that fails. A version on the node
/// newer than the catalog's (left by a rolling upgrade that stopped after this node) is kept, not downgraded.
/// </summary>
internal static class ReconcilePlan
{
    public static IReadOnlyList<ReconcileStep> For(IReadOnlyList<CatalogEntry> catalog, IReadOnlyDictionary<string, string> overrides, IReadOnlyList<LocalPlugin> local)
    {
        var steps = new List<ReconcileStep>();
        var here = local.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var entry in catalog)
        {
            var wanted = ParseStatus(overrides.TryGetValue(entry.Name, out var status) ? status : entry.Status);
            if (!here.TryGetValue(entry.Name, out var plugin))
            {
                // A new install is stopped, with the schema's defaults and the manifest's priority.
                steps.Add(new ReconcileStep(entry.Name, ReconcileAction.Install));
                AddIf(steps, entry.Config is not null, entry.Name, ReconcileAction.SetConfig);
                AddIf(steps, entry.Priority is not null, entry.Name, ReconcileAction.SetPriority);
                if (wanted != InstalledStatus.Stopped)
                {
                    steps.Add(new ReconcileStep(entry.Name, ReconcileAction.SetStatus, wanted));
                }

                continue;
            }

            AddIf(steps, PluginVersion.TryParse(entry.Version, out var version) && plugin.Version < version, entry.Name, ReconcileAction.Upgrade);
            AddIf(steps, entry.Config is not null && !JsonNode.DeepEquals(entry.Config, plugin.Config), entry.Name, ReconcileAction.SetConfig);
            AddIf(steps, entry.Priority is not null && entry.Priority != plugin.Priority, entry.Name, ReconcileAction.SetPriority);
            if (wanted != plugin.Status)
            {
                steps.Add(new ReconcileStep(entry.Name, ReconcileAction.SetStatus, wanted));
            }
        }

        var listed = catalog.Select(e => e.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        steps.AddRange(local.Where(p => !listed.Contains(p.Name)).Select(p => new ReconcileStep(p.Name, ReconcileAction.Uninstall)));
        return steps;
    }

    /// <summary>A status as the catalog keeps it: running, stopped or disabled.</summary>
    public static InstalledStatus ParseStatus(string status) => status switch
    {
        "running" => InstalledStatus.Running,
        "disabled" => InstalledStatus.Disabled,
        _ => InstalledStatus.Stopped,
    };

    /// <summary>A status as the catalog keeps it.</summary>
    public static string Text(InstalledStatus status) => status.ToString().ToLowerInvariant();

    private static void AddIf(List<ReconcileStep> steps, bool condition, string name, ReconcileAction action)
    {
        if (condition)
        {
            steps.Add(new ReconcileStep(name, action));
        }
    }
}
