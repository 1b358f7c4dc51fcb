using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace ContentScanner;

/// <summary>
/// The scanner's settings, bound from the host's Init config and validated by the SDK
/// (<see cref="ContentScannerPlugin.Configure"/>): a size that is not a whole number of 0 or more, or an entry of
/// <c>refused_media_types</c> that is not a <c>type/subtype</c>, fails Init with InvalidArgument naming the key and the value.
/// </summary>
public sealed class ContentScannerSettings
{
    /// <summary>The config key of <see cref="RefusedMediaTypes"/>.</summary>
    public const string RefusedMediaTypesKey = "refused_media_types";

    /// <summary>
    /// The largest content accepted, in bytes; 0 for no limit. Config <c>max_size_bytes</c>, defaults to 0.
    /// </summary>
    [ConfigurationKeyName("max_size_bytes")]
    [Range(0d, double.MaxValue, ErrorMessage = "The field {0} must be 0 (no limit) or a number of bytes, such as 104857600 for 100 MiB")]
    public long MaxSizeBytes { get; set; }

    /// <summary>
    /// Media types refused, comma-separated, such as <c>application/x-msdownload,application/x-dosexec</c>; compared
    /// without case and parameters. Config <c>refused_media_types</c>, defaults to none.
    /// </summary>
    [ConfigurationKeyName(RefusedMediaTypesKey)]
    public string RefusedMediaTypes { get; set; } = string.Empty;
}
