using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace FileSystemStorage;

/// <summary>
/// The settings every storage plugin of these examples has, so that FileSystemStorage and PostgresStorage (which links
/// this file) read and check them alike: the object size limit and the default page size of a List.
/// </summary>
public abstract class StorageLimits
{
    /// <summary>The most items a List page may hold, and the largest <see cref="ListDefaultLimit"/>.</summary>
    public const int MaxListLimit = 1000;

    /// <summary>The largest object, in bytes; 0 for no limit. Config <c>max_object_bytes</c>, defaults to 0.</summary>
    [ConfigurationKeyName("max_object_bytes")]
    [Range(0d, double.MaxValue, ErrorMessage = "The field {0} must be 0 (no limit) or a number of bytes")]
    public long MaxObjectBytes { get; set; }

    /// <summary>The page size of a List that asks for none, from 1 to 1000. Config <c>list_default_limit</c>, defaults to 100.</summary>
    [ConfigurationKeyName("list_default_limit")]
    [Range(1d, MaxListLimit)]
    public long ListDefaultLimit { get; set; } = 100;
}
