using Polly;
using Polly.Retry;

namespace HttpProtocol.Internal;

/// <summary>
/// The retry pipeline (Polly, the library under Microsoft.Extensions.Http.Resilience) one transfer runs its attempts
/// through: transient <see cref="RemoteFailure"/>s (unreachable, timed out, 5xx, 408, 429) are retried up to
/// <see cref="HttpProtocolSettings.MaxRetries"/> times, with exponential pauses from
/// <see cref="HttpProtocolSettings.RetryDelay"/> and jitter. Retrying a whole attempt is safe because each attempt
/// starts from the receiver's acknowledged offset.
/// </summary>
internal static class TransferRetry
{
    /// <summary>Builds the pipeline for one transfer.</summary>
    /// <param name="settings">Attempts and pauses.</param>
    /// <param name="onRetry">Told of each failure that is retried and the pause before the next attempt.</param>
    public static ResiliencePipeline Create(HttpProtocolSettings settings, Action<RemoteFailure, TimeSpan> onRetry)
    {
        if (settings.MaxRetries == 0)
        {
            return ResiliencePipeline.Empty;
        }

        return new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<RemoteFailure>(failure => failure.Transient),
                MaxRetryAttempts = settings.MaxRetries,
                Delay = settings.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = args =>
                {
                    onRetry((RemoteFailure)args.Outcome.Exception!, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }
}
