using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace FileSystemStorage;

/// <summary>
/// The storage plugin's settings, bound from the host's Init config and validated by the SDK
/// (<see cref="FileSystemStoragePlugin.Configure"/>): a missing root, or a number that is not a whole number in its
/// range, fails Init with InvalidArgument naming the key, the value and what is expected.
/// </summary>
public sealed class FileSystemStorageSettings
{
    /// <summary>The most items a List page may hold, and the largest <see cref="ListDefaultLimit"/>.</summary>
    public const int MaxListLimit = 1000;

    /// <summary>The storage folder, created if missing. Config <c>root</c>, required.</summary>
    [ConfigurationKeyName("root")]
    [Required(ErrorMessage = "The {0} field is required: set it to the folder where files are stored")]
    public string? Root { get; set; }

    /// <summary>The largest object, in bytes; 0 for no limit. Config <c>max_object_bytes</c>, defaults to 0.</summary>
    [ConfigurationKeyName("max_object_bytes")]
    [Range(0d, double.MaxValue, ErrorMessage = "The field {0} must be 0 (no limit) or a number of bytes")]
    public long MaxObjectBytes { get; set; }

    /// <summary>The page size of a List that asks for none, from 1 to 1000. Config <c>list_default_limit</c>, defaults to 100.</summary>
    [ConfigurationKeyName("list_default_limit")]
    [Range(1d, MaxListLimit)]
    public long ListDefaultLimit { get; set; } = 100;
}
