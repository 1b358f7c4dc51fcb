namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// The restarts of one plugin within its restart window: how long to wait before the next one (exponential backoff
/// with ±20% jitter), or that there must be none because the plugin keeps crashing.
/// </summary>
internal sealed class RestartHistory(PluginOptions options, TimeProvider time, Random random)
{
    private readonly Queue<DateTimeOffset> _recent = new();

    /// <summary>Restarts within the window, the one being planned included.</summary>
    public int InWindow => _recent.Count;

    /// <summary>Records a crash and returns the wait before restarting, or null when the plugin must stay down.</summary>
    public TimeSpan? NextDelay()
    {
        var now = time.GetUtcNow();
        while (_recent.Count > 0 && now - _recent.Peek() >= options.RestartWindow)
        {
            _recent.Dequeue();
        }

        // A remote plugin's service is someone else's to restart: the host keeps reconnecting, within MaxRestartDelay.
        if (!options.RestartOnCrash || (options.Remote is null && _recent.Count >= options.MaxRestarts))
        {
            return null;
        }

        _recent.Enqueue(now);
        var exponential = options.RestartDelay.TotalMilliseconds * Math.Pow(2, _recent.Count - 1);
        var capped = Math.Min(exponential, options.MaxRestartDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.8 + (0.4 * random.NextDouble())));
    }

    /// <summary>Forgets past restarts, as when an operator restarts the plugin.</summary>
    public void Clear() => _recent.Clear();
}
