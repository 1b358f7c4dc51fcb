using System.Globalization;

namespace GrpcPlugins.Packaging;

/// <summary>
/// A version such as <c>1.4.2</c> or <c>2.0.0-beta.1</c>: one to three numbers, then an optional pre-release label.
/// A missing minor or patch number counts as 0, and a pre-release sorts before its release.
/// </summary>
public readonly record struct PluginVersion : IComparable<PluginVersion>
{
    private PluginVersion(int major, int minor, int patch, int parts, string preRelease)
    {
        Major = major;
        Minor = minor;
        Patch = patch;
        Parts = parts;
        PreRelease = preRelease;
    }

    /// <summary>The major number.</summary>
    public int Major { get; }

    /// <summary>The minor number; 0 when not written.</summary>
    public int Minor { get; }

    /// <summary>The patch number; 0 when not written.</summary>
    public int Patch { get; }

    /// <summary>How many numbers were written (1 to 3); the <c>~&gt;</c> operator needs it.</summary>
    public int Parts { get; }

    /// <summary>The pre-release label after '-', or empty.</summary>
    public string PreRelease { get; }

    /// <summary>Reads a version.</summary>
    /// <param name="text">The version text, such as <c>1.4.2</c>.</param>
    /// <returns>The version.</returns>
    /// <exception cref="FormatException">The text is not a version; the message shows the expected form.</exception>
    public static PluginVersion Parse(string text) =>
        TryParse(text, out var version) ? version : throw new FormatException($"'{text}' is not a version: write one to three numbers and an optional label, such as 1.4.2 or 2.0.0-beta.1.");

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
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        var pre = dash < 0 ? string.Empty : text[(dash + 1)..];
        var numbers = (dash < 0 ? text : text[..dash]).Split('.');
        if (numbers.Length is < 1 or > 3 || (dash >= 0 && pre.Length == 0))
        {
            return false;
        }

        var values = new int[3];
        for (var i = 0; i < numbers.Length; i++)
        {
            if (numbers[i].Length == 0 || !numbers[i].All(char.IsAsciiDigit)
                || !int.TryParse(numbers[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]))
            {
                return false;
            }
        }

        version = new PluginVersion(values[0], values[1], values[2], numbers.Length, pre);
        return true;
    }

    /// <inheritdoc />
    public int CompareTo(PluginVersion other)
    {
        var byNumbers = (Major, Minor, Patch).CompareTo((other.Major, other.Minor, other.Patch));
        if (byNumbers != 0)
        {
            return byNumbers;
        }

        return (PreRelease.Length == 0, other.PreRelease.Length == 0) switch
        {
            (true, true) => 0,
            (true, false) => 1,
            (false, true) => -1,
            _ => string.CompareOrdinal(PreRelease, other.PreRelease),
        };
    }

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

    /// <inheritdoc />
    public override string ToString() => string.Join('.', new[] { Major, Minor, Patch }.Take(Parts)) + (PreRelease.Length == 0 ? string.Empty : "-" + PreRelease);
}
