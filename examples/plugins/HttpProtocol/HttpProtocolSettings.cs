using System.Globalization;
using GrpcPlugins;

namespace HttpProtocol.Internal;

/// <summary>The plugin's configuration, read from the host's Init call.</summary>
/// <param name="ChunkSize">Bytes per PATCH request. Config <c>chunk_size</c>, defaults to 1 MiB.</param>
/// <param name="MaxRetries">Failed attempts in a row before a transfer fails. Config <c>max_retries</c>, defaults to 5.</param>
/// <param name="ThrottleBytesPerSecond">Upper bound on the send rate, 0 for none. Config <c>throttle_bytes_per_second</c>.</param>
/// <param name="RequestTimeout">How long one HTTP exchange may take. Config <c>request_timeout_seconds</c>, defaults to 30.</param>
/// <param name="RetryDelay">The first pause between attempts, doubled each time. Config <c>retry_delay_ms</c>, defaults to 500.</param>
internal sealed record HttpProtocolSettings(int ChunkSize, int MaxRetries, long ThrottleBytesPerSecond, TimeSpan RequestTimeout, TimeSpan RetryDelay)
{
    public const int MaxChunkSize = 64 * 1024 * 1024;

    public static HttpProtocolSettings Default { get; } = new(1024 * 1024, 5, 0, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500));

    public static HttpProtocolSettings From(IReadOnlyDictionary<string, string> config) => new(
        (int)Number(config, "chunk_size", Default.ChunkSize, 1, MaxChunkSize),
        (int)Number(config, "max_retries", Default.MaxRetries, 0, 100),
        Number(config, "throttle_bytes_per_second", 0, 0, long.MaxValue),
        TimeSpan.FromSeconds(Number(config, "request_timeout_seconds", (long)Default.RequestTimeout.TotalSeconds, 1, 3600)),
        TimeSpan.FromMilliseconds(Number(config, "retry_delay_ms", (long)Default.RetryDelay.TotalMilliseconds, 0, 60_000)));

    /// <summary>The chunk size a request asks for, or the configured one.</summary>
    public int ChunkSizeFor(int requested) => requested switch
    {
        0 => ChunkSize,
        > 0 and <= MaxChunkSize => requested,
        _ => throw new PluginException(PluginErrorCode.InvalidArgument, $"chunk_size must be between 1 and {MaxChunkSize} bytes, or 0 for the plugin's default, not {requested}."),
    };

    private static long Number(IReadOnlyDictionary<string, string> config, string key, long fallback, long min, long max)
    {
        if (!config.TryGetValue(key, out var text) || string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new PluginException(PluginErrorCode.InvalidArgument, $"The '{key}' setting must be a whole number from {min} to {max}, not '{text}'.");
    }
}
