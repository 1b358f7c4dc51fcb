using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;

namespace GrpcPlugins.TestPlugin;

/// <summary>
/// A runaway plugin: 2 s after its host has called Init (so that it starts like any plugin), one thread spins and another holds 4 MiB more native memory (every page written)
/// every 20 ms, up to 4 GiB, then holds it. Unconfined it would take the machine's memory; a memory limit stops it.
/// </summary>
internal sealed class Runaway : BackgroundService
{
    private const int MaxBlocks = 1024;

    /// <summary>Completed by the first Init (<see cref="SandboxProbe.InitAsync"/>).</summary>
    public static TaskCompletionSource Initialized { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Initialized.Task.WaitAsync(stoppingToken);
        // A moment for the host to finish its start, so this is a plugin going wrong while it runs.
        await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
        var spinner = new Thread(() =>
        {
            var x = 0UL;
            while (!stoppingToken.IsCancellationRequested)
            {
                x++;
            }

            GC.KeepAlive(x);
        }) { IsBackground = true };
        spinner.Start();
        await Task.Run(
            async () =>
            {
                var held = new List<IntPtr>();
                while (!stoppingToken.IsCancellationRequested && held.Count < MaxBlocks)
                {
                    var block = Marshal.AllocHGlobal(4 * 1024 * 1024);
                    for (var offset = 0; offset < 4 * 1024 * 1024; offset += 4096)
                    {
                        Marshal.WriteByte(block, offset, 1);
                    }

                    held.Add(block);
                    await Task.Delay(20, stoppingToken);
                }

                await Task.Delay(Timeout.Infinite, stoppingToken);
            },
            stoppingToken);
    }
}
