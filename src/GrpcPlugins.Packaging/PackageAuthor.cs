namespace GrpcPlugins.Packaging;

/// <summary>
/// Who built a package (its author as a publisher: a person or an organisation), from <c>plugin.json</c>'s
/// <c>builder</c>. The JSON field keeps its name, so packages already built still read.
/// </summary>
/// <param name="Name">The builder's name.</param>
/// <param name="Contact">How to reach the builder: an email address or a web site.</param>
public sealed record PackageAuthor(string Name, string Contact);
