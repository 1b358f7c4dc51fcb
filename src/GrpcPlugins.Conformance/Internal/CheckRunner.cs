using System.Diagnostics;
using Grpc.Core;

namespace GrpcPlugins.Conformance.Internal;

/// <summary>Runs checks one at a time, each bounded in time, and records one result per check.</summary>
internal sealed class CheckRunner(TimeSpan checkTimeout, CancellationToken cancellationToken)
{
    private readonly List<CheckResult> results = [];

    public IReadOnlyList<CheckResult> Results => results;

    /// <summary>Runs a check; returns true when it passed.</summary>
    public async Task<bool> RunAsync(string name, string fixIt, Func<CancellationToken, Task> check)
    {
        var watch = Stopwatch.StartNew();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(checkTimeout);
        try
        {
            await check(timeout.Token).WaitAsync(checkTimeout, cancellationToken).ConfigureAwait(false);
            results.Add(new CheckResult(name, CheckOutcome.Passed, string.Empty, string.Empty, watch.Elapsed));
            return true;
        }
        catch (CheckSkippedException ex)
        {
            results.Add(new CheckResult(name, CheckOutcome.Skipped, ex.Message, string.Empty, watch.Elapsed));
            return false;
        }
        catch (CheckFailedException ex)
        {
            results.Add(new CheckResult(name, CheckOutcome.Failed, ex.Message, ex.FixIt ?? fixIt, watch.Elapsed));
            return false;
        }
        catch (RpcException ex)
        {
            results.Add(new CheckResult(name, CheckOutcome.Failed, $"a call failed with {ex.StatusCode}: {ex.Status.Detail}", fixIt, watch.Elapsed));
            return false;
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            results.Add(new CheckResult(name, CheckOutcome.Failed, $"no answer within {checkTimeout.TotalSeconds:0} s", fixIt, watch.Elapsed));
            return false;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            results.Add(new CheckResult(name, CheckOutcome.Failed, $"{ex.GetType().Name}: {ex.Message}", fixIt, watch.Elapsed));
            return false;
        }
    }

    public void Skip(string name, string reason) =>
        results.Add(new CheckResult(name, CheckOutcome.Skipped, reason, string.Empty, TimeSpan.Zero));

    public static void Expect(bool condition, string message, string? fixIt = null)
    {
        if (!condition)
        {
            throw new CheckFailedException(message, fixIt);
        }
    }

    public static async Task<RpcException> ExpectRpcErrorAsync(Func<Task> call, string what)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            return ex;
        }

        throw new CheckFailedException($"{what} succeeded, but it must fail");
    }
}
