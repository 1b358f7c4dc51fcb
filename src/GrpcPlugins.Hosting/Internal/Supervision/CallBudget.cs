using System.Diagnostics;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// The time an idempotent call may spend waiting for a restarting plugin and trying again: its method's deadline,
/// counted from the call's start. The timer behind <see cref="Token"/> is made only when the call has to wait, not on
/// every call: a linked token source and a timer per call cost concurrent callers time for nothing while the plugin runs.
/// </summary>
internal sealed class CallBudget(TimeSpan limit, CancellationToken callerToken) : IDisposable
{
    private readonly long _startedAt = Stopwatch.GetTimestamp();
    private CancellationTokenSource? _source;

    /// <summary>Whether the budget is used up, or the caller gave up.</summary>
    public bool IsSpent => callerToken.IsCancellationRequested || Stopwatch.GetElapsedTime(_startedAt) >= limit || _source?.IsCancellationRequested == true;

    /// <summary>Cancelled when the budget is used up or the caller gives up; made on first use.</summary>
    public CancellationToken Token
    {
        get
        {
            if (_source is null)
            {
                _source = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
                var left = limit - Stopwatch.GetElapsedTime(_startedAt);
                if (left <= TimeSpan.Zero)
                {
                    _source.Cancel();
                }
                else
                {
                    _source.CancelAfter(left);
                }
            }

            return _source.Token;
        }
    }

    public void Dispose() => _source?.Dispose();
}
