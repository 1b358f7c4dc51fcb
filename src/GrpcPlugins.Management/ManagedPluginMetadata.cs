namespace GrpcPlugins.Management;

/// <summary>What a plugin is: from its package's manifest, and from the plugin itself while it runs.</summary>
/// <param name="Name">The name.</param>
/// <param name="Version">The version.</param>
/// <param name="Description">What it does.</param>
/// <param name="Authors">The authors; null for a built-in plugin.</param>
/// <param name="Builder">Who built the package; null for a built-in plugin.</param>
/// <param name="SourceUrl">Where its source is; null for a built-in plugin.</param>
/// <param name="BuildTime">When the package was built; null for a built-in plugin.</param>
/// <param name="Types">Its types.</param>
/// <param name="ApiVersions">The plugin API versions it speaks.</param>
/// <param name="HostVersions">The host versions the package supports; null for a built-in plugin.</param>
/// <param name="Capabilities">The optional features the running plugin reported.</param>
/// <param name="SignedBy">The id of the trusted key that signed the package, or null.</param>
public sealed record ManagedPluginMetadata(
    string Name,
    string Version,
    string Description,
    IReadOnlyList<string>? Authors,
    PackageBuilderInfo? Builder,
    string? SourceUrl,
    DateTimeOffset? BuildTime,
    IReadOnlyList<string> Types,
    IReadOnlyList<string> ApiVersions,
    string? HostVersions,
    IReadOnlyList<string> Capabilities,
    string? SignedBy);
