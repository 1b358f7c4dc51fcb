namespace GrpcPlugins.Packaging.Internal;

/// <summary>What a new version of a plugin may do that the installed one may not: the lines an admin confirms.</summary>
internal static class PermissionWidening
{
    public static IReadOnlyList<string> Compare(PluginResources oldResources, PluginPermissions oldPermissions, PluginResources newResources, PluginPermissions newPermissions)
    {
        var widens = new List<string>();
        void Limit(string name, int? before, int? after)
        {
            if (before is not null && (after is null || after > before))
            {
                widens.Add($"resources.{name}: {before} becomes {(after is null ? "unlimited" : after)}");
            }
        }

        Limit("memoryMiB", oldResources.MemoryMiB, newResources.MemoryMiB);
        Limit("cpuPercent", oldResources.CpuPercent, newResources.CpuPercent);
        Limit("maxProcesses", oldResources.MaxProcesses, newResources.MaxProcesses);
        Limit("maxOpenFiles", oldResources.MaxOpenFiles, newResources.MaxOpenFiles);
        foreach (var callback in newPermissions.Callbacks.Except(oldPermissions.Callbacks, StringComparer.Ordinal))
        {
            widens.Add($"callbacks: adds {callback}");
        }

        if (oldPermissions.ConfinesFiles && !newPermissions.ConfinesFiles)
        {
            widens.Add("files: no longer confined (no read or write list)");
        }
        else if (oldPermissions.ConfinesFiles)
        {
            var oldWrite = oldPermissions.Write ?? [];
            var oldAny = (oldPermissions.Read ?? []).Concat(oldWrite).ToList();
            widens.AddRange((newPermissions.Read ?? []).Except(oldAny, StringComparer.Ordinal).Select(p => $"read: adds {p}"));
            widens.AddRange((newPermissions.Write ?? []).Except(oldWrite, StringComparer.Ordinal).Select(p => $"write: adds {p}"));
        }

        var networks = PluginPermissions.NetworkValues;
        if (networks.ToList().IndexOf(newPermissions.Network) > networks.ToList().IndexOf(oldPermissions.Network))
        {
            widens.Add($"network: {oldPermissions.Network} becomes {newPermissions.Network}");
        }

        return widens;
    }
}
