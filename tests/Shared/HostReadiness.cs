using System.Diagnostics;
using System.Net;

namespace GrpcPlugins.TestSupport;

/// <summary>
/// Waits for a file-transfer host process to serve its API: /v1/stats answers 401 to a caller without a token once
/// the host and its auth plugin are up. Shared by the functional tests and the benchmarks, which both start real hosts.
/// </summary>
internal static class HostReadiness
{
    /// <param name="http">A client whose base address is the host's.</param>
    /// <param name="host">The host's process; its early exit fails the wait at once.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="output">What the host printed, for the error messages.</param>
    /// <exception cref="InvalidOperationException">The host exited before serving.</exception>
    /// <exception cref="TimeoutException">The host did not serve within <paramref name="timeout"/>.</exception>
    public static async Task WaitUntilServingAsync(HttpClient http, Process host, TimeSpan timeout, Func<string> output)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                if (host.HasExited)
                {
                    throw new InvalidOperationException($"The host exited with code {host.ExitCode} before serving:\n{output()}");
                }

                try
                {
                    using var response = await http.GetAsync("/v1/stats", cts.Token);
                    if (response.StatusCode == HttpStatusCode.Unauthorized)
                    {
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                await Task.Delay(100, cts.Token);
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"The host did not serve within {timeout}:\n{output()}");
        }
    }
}
