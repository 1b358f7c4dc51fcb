namespace ContentScanner.Internal;

/// <summary>What the scanner refuses, made from its validated <see cref="ContentScannerSettings"/>.</summary>
/// <param name="MaxSizeBytes">The largest content accepted, in bytes; 0 for no limit.</param>
/// <param name="RefusedMediaTypes">Media types refused, lower case, without parameters.</param>
internal sealed record ScanRules(long MaxSizeBytes, IReadOnlySet<string> RefusedMediaTypes)
{
    /// <summary>The media type whose refusal also refuses content that starts with "MZ" (a DOS or Windows executable).</summary>
    public const string DosExecutable = "application/x-dosexec";

    /// <summary>The rules of a scanner given no configuration: no size limit, no refused types.</summary>
    public static ScanRules Default { get; } = new(0, new HashSet<string>());

    /// <summary>Whether content that starts with "MZ" is refused.</summary>
    public bool RefusesExecutables => RefusedMediaTypes.Contains(DosExecutable);

    /// <summary>The rules of validated settings.</summary>
    /// <param name="settings">The settings, checked by <see cref="ContentScannerSettingsValidator"/>.</param>
    /// <returns>The rules.</returns>
    public static ScanRules From(ContentScannerSettings settings) =>
        new(settings.MaxSizeBytes, Entries(settings.RefusedMediaTypes).Select(Normalize).ToHashSet(StringComparer.Ordinal));

    /// <summary>The entries of a comma-separated list, trimmed, empty ones left out.</summary>
    /// <param name="list">The list, or null.</param>
    /// <returns>The entries as written.</returns>
    public static string[] Entries(string? list) =>
        (list ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Whether an entry is a <c>type/subtype</c> (parameters aside).</summary>
    /// <param name="entry">The entry as written.</param>
    /// <returns>Whether it is a media type.</returns>
    public static bool IsMediaType(string entry)
    {
        var normal = Normalize(entry);
        var slash = normal.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && slash < normal.Length - 1 && normal.IndexOf('/', slash + 1) < 0 && !normal.Any(char.IsWhiteSpace);
    }

    /// <summary>A media type as compared: lower case, parameters (";charset=...") removed.</summary>
    /// <param name="mediaType">The media type as sent.</param>
    /// <returns>The normal form.</returns>
    public static string Normalize(string mediaType)
    {
        var semicolon = mediaType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon >= 0 ? mediaType[..semicolon] : mediaType).Trim().ToLowerInvariant();
    }
}
