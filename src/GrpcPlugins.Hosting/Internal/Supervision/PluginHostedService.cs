using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>Starts the configured plugins with the application, in parallel, and stops them with it.</summary>
internal sealed class PluginHostedService(
    PluginRegistry registry,
    IOptions<GrpcPluginsOptions> options,
    ILoggerFactory loggerFactory) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var host = options.Value;
        var starts = host.Plugins.Values.Select(p => PluginClient.LaunchAsync(p, host, loggerFactory, cancellationToken)).ToList();
        try
        {
            await Task.WhenAll(starts).ConfigureAwait(false);
        }
        catch
        {
            // One failed start fails the application's start; the others must not be left running.
            await Task.WhenAll(starts.Where(s => s.IsCompletedSuccessfully).Select(s => s.Result.StopAsync(CancellationToken.None))).ConfigureAwait(false);
            var errors = starts.Where(s => s.IsFaulted).SelectMany(s => s.Exception!.InnerExceptions).ToList();
            if (errors.Count == 1)
            {
                throw errors[0];
            }

            throw new AggregateException("Several plugins failed to start.", errors);
        }

        foreach (var start in starts)
        {
            registry.Add(start.Result);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(registry.RemoveAll().Select(p => p.StopAsync(cancellationToken)));
}
