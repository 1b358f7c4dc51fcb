using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>Watches a running plugin through its process exiting and its health service, until it is down.</summary>
internal static class PluginWatch
{
    /// <summary>
    /// Completes when the plugin is down and says why: its process exited, or it failed
    /// <see cref="PluginOptions.UnhealthyThreshold"/> health checks in a row and was killed as hung.
    /// </summary>
    public static async Task<string> UntilDownAsync(PluginInstance instance, PluginOptions options, ILogger logger, CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(options.HealthCheckInterval);
        var failures = 0;
        while (true)
        {
            var tick = timer.WaitForNextTickAsync(stopping).AsTask();
            if (await Task.WhenAny(instance.Exited, tick).ConfigureAwait(false) == instance.Exited)
            {
                return Exited(instance);
            }

            await tick.ConfigureAwait(false);
            if (await instance.IsHealthyAsync(options.HealthCheckTimeout, stopping).ConfigureAwait(false))
            {
                failures = 0;
                continue;
            }

            if (instance.Exited.IsCompleted)
            {
                return Exited(instance);
            }

            if (++failures >= options.UnhealthyThreshold)
            {
                HostingLog.Hung(logger, options.Name, instance.ProcessId, failures);
                instance.Kill();
                await instance.Exited.WaitAsync(TimeSpan.FromSeconds(10), stopping).ConfigureAwait(false);
                if (instance.RemoteAddress is { } address)
                {
                    return $"stopped answering health checks at {address} ({failures} in a row, each allowed {options.HealthCheckTimeout.TotalSeconds:0.###} s), so the host dropped its connection and reconnects with backoff.";
                }

                return $"stopped answering health checks ({failures} in a row, each allowed {options.HealthCheckTimeout.TotalSeconds:0.###} s), so it was killed as hung.";
            }
        }
    }

    private static string Exited(PluginInstance instance) => instance.DescribeExit() + ".";
}
