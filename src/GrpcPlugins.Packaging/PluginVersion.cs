using NuGet.Versioning;

namespace GrpcPlugins.Packaging;

/// <summary>
/// A version as Semantic Versioning 2.0 writes it, such as <c>1.4.2</c>, <c>2.0.0-beta.10</c> or <c>1.2.3+build.5</c>,
/// read and ordered by NuGet.Versioning. The minor and patch numbers may be left out (<c>1</c>, <c>1.4</c>; they count
/// as 0), which the <c>~&gt;</c> constraint needs. Ordering is SemVer 2.0's: a pre-release sorts before its release,
/// its dot-separated identifiers are compared one by one, numbers as numbers (<c>beta.9</c> before <c>beta.10</c>),
/// and build metadata after <c>+</c> is ignored. NuGet compares labels without regard to case.
/// </summary>
public readonly record struct PluginVersion : IComparable<PluginVersion>
{
    private static readonly SemanticVersion Zero = new(0, 0, 0);
    private readonly SemanticVersion? _semantic;

    private PluginVersion(SemanticVersion semantic, int parts)
    {
        _semantic = semantic;
        Parts = parts;
    }

    /// <summary>The major number.</summary>
    public int Major => Semantic.Major;

    /// <summary>The minor number; 0 when not written.</summary>
    public int Minor => Semantic.Minor;

    /// <summary>The patch number; 0 when not written.</summary>
    public int Patch => Semantic.Patch;

    /// <summary>How many numbers were written (1 to 3); the <c>~&gt;</c> operator needs it.</summary>
    public int Parts { get; }

    /// <summary>The pre-release label after '-' (such as <c>beta.10</c>), or empty.</summary>
    public string PreRelease => Semantic.Release;

    /// <summary>The build metadata after '+' (such as <c>build.5</c>), or empty; it plays no part in ordering.</summary>
    public string Metadata => Semantic.Metadata ?? string.Empty;

    private SemanticVersion Semantic => _semantic ?? Zero;

    /// <summary>Reads a version.</summary>
    /// <param name="text">The version text, such as <c>1.4.2</c>.</param>
    /// <returns>The version.</returns>
    /// <exception cref="FormatException">The text is not a version; the message shows the expected form.</exception>
    public static PluginVersion Parse(string text) =>
        TryParse(text, out var version) ? version : throw new FormatException($"'{text}' is not a version: write one to three numbers, an optional pre-release label and optional build metadata, as Semantic Versioning 2.0 does, such as 1.4.2, 2.0.0-beta.1 or 1.2.3+build.5.");

    /// <summary>Reads a version, without throwing.</summary>
    /// <param name="text">The version text.</param>
    /// <param name="version">The version, when the text is one.</param>
    /// <returns>Whether the text is a version.</returns>
    public static bool TryParse(string? text, out PluginVersion version)
    {
        version = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        var labelStart = text.IndexOfAny(['-', '+']);
        var core = labelStart < 0 ? text : text[..labelStart];
        var numbers = core.Split('.');
        if (numbers.Length is < 1 or > 3 || numbers.Any(n => n.Length == 0 || !n.All(char.IsAsciiDigit)))
        {
            return false;
        }

        // NuGet's strict SemVer 2.0 parser wants all three numbers; the ones left out are 0.
        var full = string.Join('.', numbers.Concat(Enumerable.Repeat("0", 3 - numbers.Length))) + text[core.Length..];
        if (!SemanticVersion.TryParse(full, out var semantic))
        {
            return false;
        }

        version = new PluginVersion(semantic, numbers.Length);
        return true;
    }

    /// <inheritdoc />
    public int CompareTo(PluginVersion other) => VersionComparer.Default.Compare(Semantic, other.Semantic);

    /// <summary>Whether one version is before another.</summary>
    /// <param name="left">The first version.</param>
    /// <param name="right">The second version.</param>
    /// <returns>Whether <paramref name="left"/> sorts first.</returns>
    public static bool operator <(PluginVersion left, PluginVersion right) => left.CompareTo(right) < 0;

    /// <summary>Whether one version is after another.</summary>
    /// <param name="left">The first version.</param>
    /// <param name="right">The second version.</param>
    /// <returns>Whether <paramref name="left"/> sorts last.</returns>
    public static bool operator >(PluginVersion left, PluginVersion right) => left.CompareTo(right) > 0;

    /// <summary>Whether one version is before or the same as another.</summary>
    /// <param name="left">The first version.</param>
    /// <param name="right">The second version.</param>
    /// <returns>Whether <paramref name="left"/> does not sort after <paramref name="right"/>.</returns>
    public static bool operator <=(PluginVersion left, PluginVersion right) => left.CompareTo(right) <= 0;

    /// <summary>Whether one version is after or the same as another.</summary>
    /// <param name="left">The first version.</param>
    /// <param name="right">The second version.</param>
    /// <returns>Whether <paramref name="left"/> does not sort before <paramref name="right"/>.</returns>
    public static bool operator >=(PluginVersion left, PluginVersion right) => left.CompareTo(right) >= 0;

    /// <summary>Whether two versions are written the same, build metadata included (ordering ignores it: see <see cref="CompareTo"/>).</summary>
    /// <param name="other">The other version.</param>
    /// <returns>Whether they are the same.</returns>
    public bool Equals(PluginVersion other) => string.Equals(ToString(), other.ToString(), StringComparison.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());

    /// <inheritdoc />
    public override string ToString() =>
        string.Join('.', new[] { Major, Minor, Patch }.Take(Parts))
        + (PreRelease.Length == 0 ? string.Empty : "-" + PreRelease)
        + (Metadata.Length == 0 ? string.Empty : "+" + Metadata);
}
