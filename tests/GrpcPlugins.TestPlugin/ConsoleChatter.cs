using Microsoft.Extensions.Hosting;

namespace GrpcPlugins.TestPlugin;

/// <summary>Writes "console line N" to Console.Out every 100 ms, as a chatty library would, for go-plugin's GRPCStdio to carry.</summary>
internal sealed class ConsoleChatter : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var n = 1; !stoppingToken.IsCancellationRequested; n++)
        {
            Console.WriteLine($"console line {n}");
            await Task.Delay(100, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}
