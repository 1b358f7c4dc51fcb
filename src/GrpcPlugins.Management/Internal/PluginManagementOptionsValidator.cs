using Microsoft.Extensions.Options;

namespace GrpcPlugins.Management.Internal;

/// <summary>Checks the management settings when the host starts, so a typo fails the start with a message that says which setting.</summary>
internal sealed class PluginManagementOptionsValidator : IValidateOptions<PluginManagementOptions>
{
    public ValidateOptionsResult Validate(string? name, PluginManagementOptions options)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(options.PluginsPath))
        {
            problems.Add("PluginsPath is empty: set it to the folder installed plugin packages live in, such as data/plugins.");
        }

        if (string.IsNullOrWhiteSpace(options.NodeName))
        {
            problems.Add("NodeName is empty: leave it unset for the machine name, or name this node.");
        }

        if (options.MaxPackageBytes <= 0 || options.MaxEntryBytes <= 0 || options.MaxTotalBytes <= 0 || options.MaxEntries <= 0)
        {
            problems.Add($"MaxPackageBytes ({options.MaxPackageBytes}), MaxEntryBytes ({options.MaxEntryBytes}), MaxTotalBytes ({options.MaxTotalBytes}) and MaxEntries ({options.MaxEntries}) must all be positive.");
        }

        foreach (var key in options.TrustedKeys.Where(k => !File.Exists(k)))
        {
            problems.Add($"TrustedKeys names '{key}', which does not exist: give the path of a public key PEM made by `grpcplugins keygen`.");
        }

        foreach (var key in options.ConfigVariables.Keys.Where(k => k.Length == 0 || k.Contains('{') || k.Contains('}')))
        {
            problems.Add($"ConfigVariables has the key '{key}': name a placeholder without braces, such as DataDir for {{DataDir}}.");
        }

        var cluster = options.Cluster;
        if (cluster.HeartbeatInterval <= TimeSpan.Zero || cluster.ReconcileInterval <= TimeSpan.Zero || cluster.NodeUpgradeTimeout <= TimeSpan.Zero || cluster.DeadAfterMissedHeartbeats < 1 || cluster.PauseBetweenNodes < TimeSpan.Zero)
        {
            problems.Add($"Cluster:HeartbeatInterval ({cluster.HeartbeatInterval}), Cluster:ReconcileInterval ({cluster.ReconcileInterval}) and Cluster:NodeUpgradeTimeout ({cluster.NodeUpgradeTimeout}) must be positive, Cluster:DeadAfterMissedHeartbeats ({cluster.DeadAfterMissedHeartbeats}) at least 1, and Cluster:PauseBetweenNodes ({cluster.PauseBetweenNodes}) not negative.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
