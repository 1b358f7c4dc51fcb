using System.ComponentModel.DataAnnotations;
using FileSystemStorage;
using Microsoft.Extensions.Configuration;

namespace PostgresStorage;

/// <summary>
/// The storage plugin's settings, bound from the host's Init config and validated by the SDK
/// (<see cref="PostgresStoragePlugin.Configure"/>): a missing connection string, or a number that is not a whole number
/// in its range (<see cref="StorageLimits"/>), fails Init with InvalidArgument naming the key, the value and what is expected.
/// </summary>
public sealed class PostgresStorageSettings : StorageLimits
{
    /// <summary>
    /// An Npgsql connection string; the user must be allowed to create tables in the database (Init creates them).
    /// Config <c>connectionString</c>, required.
    /// </summary>
    [ConfigurationKeyName("connectionString")]
    [Required(ErrorMessage = "The {0} field is required: set it to the PostgreSQL database to store files in, e.g. 'Host=db;Database=files;Username=ft;Password=...'")]
    public string? ConnectionString { get; set; }

    /// <summary>
    /// The size of each content row, in bytes, from 1024 to 64 MiB; kept per object, so a change affects new objects
    /// only. Config <c>chunk_bytes</c>, defaults to 262144 (256 KiB).
    /// </summary>
    [ConfigurationKeyName("chunk_bytes")]
    [Range(1024, 64 * 1024 * 1024, ErrorMessage = "The field {0} must be between {1} and {2} (64 MiB)")]
    public int ChunkBytes { get; set; } = 256 * 1024;
}
