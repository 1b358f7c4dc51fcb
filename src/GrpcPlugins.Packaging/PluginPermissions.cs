namespace GrpcPlugins.Packaging;

/// <summary>
/// What a plugin may reach, from <c>plugin.json</c>'s <c>permissions</c>, covered by the signature:
/// <c>{"callbacks": ["kv"], "read": ["{DataDir}/users.json"], "write": ["{DataDir}/files"], "network": "none"}</c>. Paths
/// are absolute or start with a host variable such as <c>{DataDir}</c>, filled in by the host that runs the package.
/// </summary>
/// <param name="Callbacks">The host callbacks it may call.</param>
/// <param name="Read">
/// The paths it may read besides the system and its install folder; null when the manifest has neither <c>read</c> nor
/// <c>write</c>, and its files are not confined.
/// </param>
/// <param name="Write">The paths it may read and write; null when its files are not confined.</param>
/// <param name="Network"><c>none</c>, <c>loopback</c> or <c>any</c> (the default).</param>
public sealed record PluginPermissions(IReadOnlyList<string> Callbacks, IReadOnlyList<string>? Read, IReadOnlyList<string>? Write, string Network)
{
    /// <summary>The network values, narrowest first.</summary>
    public static IReadOnlyList<string> NetworkValues { get; } = ["none", "loopback", "any"];

    /// <summary>Nothing declared: no callbacks, files and network unconfined.</summary>
    public static PluginPermissions None { get; } = new([], null, null, "any");

    /// <summary>Whether its files are confined to <see cref="Read"/> and <see cref="Write"/>.</summary>
    public bool ConfinesFiles => Read is not null || Write is not null;
}
