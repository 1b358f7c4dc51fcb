using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace FileSystemStorage;

/// <summary>
/// The storage plugin's settings, bound from the host's Init config and validated by the SDK
/// (<see cref="FileSystemStoragePlugin.Configure"/>): a missing root, or a number that is not a whole number in its
/// range (<see cref="StorageLimits"/>), fails Init with InvalidArgument naming the key, the value and what is expected.
/// </summary>
public sealed class FileSystemStorageSettings : StorageLimits
{
    /// <summary>The storage folder, created if missing. Config <c>root</c>, required.</summary>
    [ConfigurationKeyName("root")]
    [Required(ErrorMessage = "The {0} field is required: set it to the folder where files are stored")]
    public string? Root { get; set; }
}
