using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>
/// Stops the plugin when its stdin reaches end-of-file. The host holds the other end of that pipe, so
/// this fires when the host exits or is killed, and the plugin is never left an orphan. It runs only when the host asked
/// for it (<see cref="PluginProtocol.StdinWatchVariable"/> is "1", as a GrpcPlugins host sets it): a go-plugin host passes
/// its own stdin, which may be /dev/null and at its end from the start.
/// </summary>
internal sealed class StdinWatcher(IHostApplicationLifetime lifetime, ILogger<StdinWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Console reads block a thread and ignore cancellation, so they get a thread of their own that shutdown need not wait for.
        var endOfInput = Task.Factory.StartNew(ReadToEnd, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var stopping = Task.Delay(Timeout.Infinite, stoppingToken);
        if (await Task.WhenAny(endOfInput, stopping).ConfigureAwait(false) == endOfInput)
        {
            SdkLog.Stopping(logger, "stdin closed, so the host is gone");
            lifetime.StopApplication();
        }
    }

    private static void ReadToEnd()
    {
        try
        {
            using var stdin = Console.OpenStandardInput();
            var buffer = new byte[256];
            while (stdin.Read(buffer, 0, buffer.Length) > 0)
            {
                // The host never writes; anything read is ignored.
            }
        }
        catch (IOException)
        {
            // A broken pipe means the same as end-of-file: the host is gone.
        }
    }
}
