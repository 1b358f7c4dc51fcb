using System.Globalization;
using GrpcPlugins;

namespace ContentScanner.Internal;

/// <summary>The scanner's settings, parsed from the Init map.</summary>
/// <param name="MaxSizeBytes">The largest content accepted, in bytes; 0 for no limit.</param>
/// <param name="RefusedMediaTypes">Media types refused, lower case, without parameters.</param>
internal sealed record ScannerSettings(long MaxSizeBytes, IReadOnlySet<string> RefusedMediaTypes)
{
    /// <summary>The media type whose refusal also refuses content that starts with "MZ" (a DOS or Windows executable).</summary>
    public const string DosExecutable = "application/x-dosexec";

    /// <summary>The settings of a scanner given no configuration: no size limit, no refused types.</summary>
    public static ScannerSettings Default { get; } = new(0, new HashSet<string>());

    /// <summary>Whether content that starts with "MZ" is refused.</summary>
    public bool RefusesExecutables => RefusedMediaTypes.Contains(DosExecutable);

    /// <summary>Parses the Init map.</summary>
    /// <param name="config">The Init map.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="PluginException">InvalidArgument: a setting is not valid; the message names it and how to fix it.</exception>
    public static ScannerSettings Parse(IReadOnlyDictionary<string, string> config)
    {
        long maxSize = 0;
        if (config.TryGetValue("max_size_bytes", out var size) && !string.IsNullOrWhiteSpace(size)
            && (!long.TryParse(size.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out maxSize)))
        {
            throw new PluginException(
                PluginErrorCode.InvalidArgument,
                $"'max_size_bytes' is '{size}', which is not a whole number of bytes; set it to 0 (no limit) or more, such as 104857600 for 100 MiB.");
        }

        var refused = new HashSet<string>(StringComparer.Ordinal);
        if (config.TryGetValue("refused_media_types", out var types))
        {
            foreach (var type in types.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var normal = Normalize(type);
                var slash = normal.IndexOf('/', StringComparison.Ordinal);
                if (slash <= 0 || slash == normal.Length - 1 || normal.IndexOf('/', slash + 1) >= 0 || normal.Any(char.IsWhiteSpace))
                {
                    throw new PluginException(
                        PluginErrorCode.InvalidArgument,
                        $"'refused_media_types' lists '{type}', which is not a media type; list types such as 'application/x-msdownload,application/x-dosexec', separated by commas.");
                }

                refused.Add(normal);
            }
        }

        return new ScannerSettings(maxSize, refused);
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
