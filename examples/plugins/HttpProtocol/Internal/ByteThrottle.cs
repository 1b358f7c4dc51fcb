using System.Threading.RateLimiting;

namespace HttpProtocol.Internal;

/// <summary>Keeps a transfer under a number of bytes per second, or lets everything through when the limit is 0.</summary>
internal sealed class ByteThrottle : IDisposable
{
    private const int PeriodsPerSecond = 20;
    private readonly TokenBucketRateLimiter? _bucket;
    private readonly int _burst;

    public ByteThrottle(long bytesPerSecond, int chunkSize)
    {
        if (bytesPerSecond <= 0)
        {
            return;
        }

        // The bucket holds at least one chunk, so that a chunk can pass at once, and little more, so that there is no long burst.
        _burst = (int)Math.Clamp(bytesPerSecond / PeriodsPerSecond, chunkSize, int.MaxValue);
        _bucket = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = _burst,
            TokensPerPeriod = (int)Math.Clamp(bytesPerSecond / PeriodsPerSecond, 1, int.MaxValue),
            ReplenishmentPeriod = TimeSpan.FromSeconds(1.0 / PeriodsPerSecond),
            QueueLimit = _burst,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    /// <summary>Waits until a number of bytes may be sent.</summary>
    public async Task WaitAsync(int bytes, CancellationToken cancellationToken)
    {
        if (_bucket is null)
        {
            return;
        }

        using var lease = await _bucket.AcquireAsync(Math.Min(bytes, _burst), cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose() => _bucket?.Dispose();
}
