using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Grpc.Core;
using GrpcPlugins.Test.Sandbox.V1;

namespace GrpcPlugins.TestPlugin;

/// <summary>
/// Serves the test-only SandboxProbeService (Protos/sandbox_probe.proto): misbehaves on request, always within a bound,
/// and answers with the ordinary OS error when something refuses it.
/// </summary>
public sealed class SandboxProbe : SandboxProbeService.SandboxProbeServiceBase, GrpcPlugins.Sdk.IPluginLifecycle
{
    private static readonly List<IntPtr> Held = [];

    /// <summary>Starts the runaway mode's misbehaviour, if any: only once the host has it running.</summary>
    public Task InitAsync(IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        Runaway.Initialized.TrySetResult();
        return Task.CompletedTask;
    }

    public Task ShutdownAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override async Task<TryResponse> Try(TryRequest request, ServerCallContext context)
    {
        try
        {
            return request.Action switch
            {
                "allocate" => Allocate(request.Amount),
                "fork" => await ForkAsync((int)request.Amount),
                "spin" => Spin(request.Amount),
                "read" => new TryResponse { Ok = true, Content = await File.ReadAllTextAsync(request.Path, context.CancellationToken) },
                "write" => await WriteAsync(request.Path, context.CancellationToken),
                "connect" => await ConnectAsync(request.Address, context.CancellationToken),
                _ => throw new RpcException(new Status(StatusCode.InvalidArgument, $"unknown action '{request.Action}'")),
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SocketException or System.ComponentModel.Win32Exception)
        {
            return new TryResponse { Ok = false, Error = $"{ex.GetType().Name}: {ex.Message}" };
        }
    }

    // Native memory, each page written, so it is really used (the GC's own limit does not apply to it).
    private static TryResponse Allocate(long mebibytes)
    {
        for (var i = 0; i < mebibytes; i++)
        {
            var block = Marshal.AllocHGlobal(1024 * 1024);
            for (var offset = 0; offset < 1024 * 1024; offset += 4096)
            {
                Marshal.WriteByte(block, offset, 1);
            }

            Held.Add(block);
        }

        return new TryResponse { Ok = true, Count = mebibytes };
    }

    // A fork bomb that stops: a shell starts up to `bound` sleeping processes, one line each, then kills and reaps them
    // all (also when a fork fails and it gives up). A shell does it so that the plugin's own threads are not the ones
    // that find no room.
    private const string ForkScript =
        "n=0; pids=''; trap 'kill $pids 2>/dev/null; wait' EXIT; while [ $n -lt \"$1\" ]; do sleep 60 & pids=\"$pids $!\"; n=$((n+1)); echo $n; done";

    private static async Task<TryResponse> ForkAsync(int bound)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-c", ForkScript, "fork-bomb", bound.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        using var shell = Process.Start(start)!;
        var output = shell.StandardOutput.ReadToEndAsync();
        var error = shell.StandardError.ReadToEndAsync();
        await shell.WaitForExitAsync();
        var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return new TryResponse
        {
            Ok = shell.ExitCode == 0,
            Error = (await error).Trim(),
            Count = lines.Length == 0 ? 0 : long.Parse(lines[^1], System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    // Every core busy for the given seconds; reports the CPU time the process got.
    private static TryResponse Spin(long seconds)
    {
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var until = TimeSpan.FromSeconds(seconds);
        var threads = Enumerable.Range(0, Environment.ProcessorCount).Select(_ => new Thread(() =>
        {
            var x = 0UL;
            while (clock.Elapsed < until)
            {
                x++;
            }

            GC.KeepAlive(x);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return new TryResponse
        {
            Ok = true,
            CpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - before).TotalSeconds,
            WallSeconds = clock.Elapsed.TotalSeconds,
        };
    }

    private static async Task<TryResponse> WriteAsync(string path, CancellationToken cancellationToken)
    {
        await File.WriteAllTextAsync(path, "written by the sandbox probe", cancellationToken);
        return new TryResponse { Ok = true };
    }

    private static async Task<TryResponse> ConnectAsync(string address, CancellationToken cancellationToken)
    {
        var colon = address.LastIndexOf(':');
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(address[..colon], int.Parse(address[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), timeout.Token);
        return new TryResponse { Ok = true };
    }
}
