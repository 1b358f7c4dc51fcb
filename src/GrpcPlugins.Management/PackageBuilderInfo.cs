namespace GrpcPlugins.Management;

/// <summary>Who built a package, from its <c>plugin.json</c>.</summary>
/// <param name="Name">The builder's name.</param>
/// <param name="Contact">How to reach them.</param>
public sealed record PackageBuilderInfo(string Name, string Contact);
