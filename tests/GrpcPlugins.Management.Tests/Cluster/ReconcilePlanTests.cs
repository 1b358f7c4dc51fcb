using System.Text.Json.Nodes;
using GrpcPlugins.Management.Cluster;
using GrpcPlugins.Packaging;

namespace GrpcPlugins.Management.Tests.Cluster;

/// <summary>The steps a node takes to converge to the cluster's catalog, from what it has and what the catalog says.</summary>
public sealed class ReconcilePlanTests
{
    private static readonly Dictionary<string, string> NoOverrides = [];

    [Fact]
    public void For_CatalogPluginMissingHere_InstallsThenConfiguresPlacesAndStartsIt()
    {
        var catalog = new[] { new CatalogEntry("audit", "1.2.0", "running", new JsonObject { ["audit_log"] = "x.log" }, 7) };

        var steps = ReconcilePlan.For(catalog, NoOverrides, []);

        Assert.Equal(
            [
                new ReconcileStep("audit", ReconcileAction.Install),
                new ReconcileStep("audit", ReconcileAction.SetConfig),
                new ReconcileStep("audit", ReconcileAction.SetPriority),
                new ReconcileStep("audit", ReconcileAction.SetStatus, InstalledStatus.Running),
            ],
            steps);
    }

    [Fact]
    public void For_StoppedCatalogPluginWithDefaults_OnlyInstalls()
    {
        var steps = ReconcilePlan.For([new CatalogEntry("audit", "1.2.0", "stopped", null, null)], NoOverrides, []);

        Assert.Equal([new ReconcileStep("audit", ReconcileAction.Install)], steps);
    }

    [Fact]
    public void For_NodeInStep_DoesNothing()
    {
        var config = new JsonObject { ["audit_log"] = "x.log" };
        var catalog = new[] { new CatalogEntry("audit", "1.2.0", "running", config, 7) };
        var local = new[] { Local("audit", "1.2.0", InstalledStatus.Running, config.DeepClone().AsObject(), 7) };

        Assert.Empty(ReconcilePlan.For(catalog, NoOverrides, local));
    }

    [Fact]
    public void For_OlderVersionHere_Upgrades_NewerVersionHere_IsKept()
    {
        var catalog = new[] { new CatalogEntry("old", "1.3.0", "running", null, null), new CatalogEntry("ahead", "1.0.0", "running", null, null) };
        var local = new[] { Local("old", "1.2.0", InstalledStatus.Running), Local("ahead", "1.1.0", InstalledStatus.Running) };

        var steps = ReconcilePlan.For(catalog, NoOverrides, local);

        // A node ahead of the catalog was upgraded by a roll that stopped later: it is not downgraded.
        Assert.Equal([new ReconcileStep("old", ReconcileAction.Upgrade)], steps);
    }

    [Fact]
    public void For_NodeOverride_WinsOverTheCatalogStatus()
    {
        var catalog = new[] { new CatalogEntry("audit", "1.2.0", "running", null, null) };
        var local = new[] { Local("audit", "1.2.0", InstalledStatus.Running) };
        var overrides = new Dictionary<string, string> { ["audit"] = "stopped" };

        var steps = ReconcilePlan.For(catalog, overrides, local);

        Assert.Equal([new ReconcileStep("audit", ReconcileAction.SetStatus, InstalledStatus.Stopped)], steps);
    }

    [Fact]
    public void For_ConfigOrPriorityChanged_TakesThem_PluginLeftTheCatalog_IsUninstalled()
    {
        var catalog = new[] { new CatalogEntry("audit", "1.2.0", "disabled", new JsonObject { ["audit_log"] = "new.log" }, 3) };
        var local = new[] { Local("audit", "1.2.0", InstalledStatus.Running, new JsonObject { ["audit_log"] = "old.log" }, null), Local("gone", "2.0.0", InstalledStatus.Running) };

        var steps = ReconcilePlan.For(catalog, NoOverrides, local);

        Assert.Equal(
            [
                new ReconcileStep("audit", ReconcileAction.SetConfig),
                new ReconcileStep("audit", ReconcileAction.SetPriority),
                new ReconcileStep("audit", ReconcileAction.SetStatus, InstalledStatus.Disabled),
                new ReconcileStep("gone", ReconcileAction.Uninstall),
            ],
            steps);
    }

    private static LocalPlugin Local(string name, string version, InstalledStatus status, JsonObject? config = null, int? priority = null) =>
        new(name, PluginVersion.Parse(version), status, config ?? new JsonObject(), priority);
}
