using System.Diagnostics;
using Grpc.Core;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// The response stream of a server-streaming plugin call, which ends the call's span and records its metrics once:
/// when the stream ends (OK), fails (its status), or is abandoned by the caller before its end (Cancelled).
/// </summary>
internal sealed class ObservedResponseStream<T>(IAsyncStreamReader<T> inner, string plugin, IMethod method, Activity? activity, long startedAt)
    : IAsyncStreamReader<T>
{
    private int _ended;

    public T Current => inner.Current;

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        try
        {
            if (await inner.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                return true;
            }

            End(StatusCode.OK, null);
            return false;
        }
        catch (RpcException ex)
        {
            End(ex.StatusCode, ex.Status.Detail);
            throw;
        }
        catch (OperationCanceledException)
        {
            End(StatusCode.Cancelled, "The caller cancelled the stream.");
            throw;
        }
    }

    /// <summary>Called when the caller disposes of the call; a stream not read to its end was abandoned.</summary>
    public void Abandon() => End(StatusCode.Cancelled, "The caller stopped reading before the stream ended.");

    private void End(StatusCode status, string? error)
    {
        if (Interlocked.Exchange(ref _ended, 1) == 0)
        {
            HostingTelemetry.EndCall(plugin, method, activity, startedAt, status, error);
        }
    }
}
