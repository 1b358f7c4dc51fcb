using System.ComponentModel.DataAnnotations;
using GrpcPlugins;
using Microsoft.Extensions.Configuration;

namespace HttpProtocol;

/// <summary>
/// The plugin's settings, bound from the host's Init config and validated by the SDK
/// (<c>p.AddSettings&lt;HttpProtocolSettings&gt;().Bind(p.Settings)</c> in Program.cs): a value out of range fails Init
/// with InvalidArgument naming the key, the value and the range.
/// </summary>
public sealed class HttpProtocolSettings
{
    /// <summary>The largest chunk a request or <see cref="ChunkSize"/> may ask for: 64 MiB.</summary>
    public const int MaxChunkSize = 64 * 1024 * 1024;

    /// <summary>Bytes per PATCH request. Config <c>chunk_size</c>, defaults to 1 MiB.</summary>
    [ConfigurationKeyName("chunk_size")]
    [Range(1, MaxChunkSize)]
    public int ChunkSize { get; set; } = 1024 * 1024;

    /// <summary>Retries in a row without progress before a transfer fails. Config <c>max_retries</c>, defaults to 5.</summary>
    [ConfigurationKeyName("max_retries")]
    [Range(0, 100)]
    public int MaxRetries { get; set; } = 5;

    /// <summary>Upper bound on the send rate, 0 for none. Config <c>throttle_bytes_per_second</c>, defaults to 0.</summary>
    [ConfigurationKeyName("throttle_bytes_per_second")]
    [Range(0d, double.MaxValue, ErrorMessage = "The field {0} must be 0 (no limit) or a number of bytes per second")]
    public long ThrottleBytesPerSecond { get; set; }

    /// <summary>How long one HTTP exchange may take, in seconds. Config <c>request_timeout_seconds</c>, defaults to 30.</summary>
    [ConfigurationKeyName("request_timeout_seconds")]
    [Range(1, 3600)]
    public int RequestTimeoutSeconds { get; set; } = 30;

    /// <summary>The first pause between attempts, in milliseconds, growing exponentially with jitter. Config <c>retry_delay_ms</c>, defaults to 500.</summary>
    [ConfigurationKeyName("retry_delay_ms")]
    [Range(0, 60_000)]
    public int RetryDelayMs { get; set; } = 500;

    /// <summary><see cref="RequestTimeoutSeconds"/> as a time span.</summary>
    public TimeSpan RequestTimeout => TimeSpan.FromSeconds(RequestTimeoutSeconds);

    /// <summary><see cref="RetryDelayMs"/> as a time span.</summary>
    public TimeSpan RetryDelay => TimeSpan.FromMilliseconds(RetryDelayMs);

    /// <summary>The chunk size a request asks for, or the configured one.</summary>
    internal int ChunkSizeFor(int requested) => requested switch
    {
        0 => ChunkSize,
        > 0 and <= MaxChunkSize => requested,
        _ => throw new PluginException(PluginErrorCode.InvalidArgument, $"chunk_size must be between 1 and {MaxChunkSize} bytes, or 0 for the plugin's default, not {requested}."),
    };
}
