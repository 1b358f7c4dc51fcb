using System.Diagnostics;
using System.Net.Sockets;
using GrpcPlugins.Hosting;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.Benchmarks.Internal;

/// <summary>
/// Streaming: Store and Retrieve through the FileSystemStorage plugin (disk) and through a plugin that discards
/// (the stream path alone), against a raw Unix-socket copy, cp, and the same file I/O done in-process.
/// </summary>
internal static class StreamMeasures
{
    private const int CopyBuffer = 1024 * 1024;

    // The raw socket copy writes as much at a time as the data channel does (GrpcPlugins' DataChannel.CopyBufferSize).
    private const int DataChannelCopyBuffer = 256 * 1024;

    public static async Task RunAsync(SuiteSettings settings, Report report, GoPeer.Result? go, string folder)
    {
        var bytes = settings.StreamBytes;
        var size = settings.Size(bytes);
        var source = Path.Combine(folder, "source.bin");
        await WriteSourceAsync(source, bytes);

        // The limits: the transport, the disk, the same file work in-process.
        var socket = await RawUnixSocketAsync(folder, bytes);
        var cp = await CpAsync(source, Path.Combine(folder, "cp-copy.bin"), bytes);
        var inProcessWrite = await TimeAsync(bytes, async () => await CopyFileAsync(source, Path.Combine(folder, "inprocess-copy.bin")));
        var inProcessRead = await TimeAsync(bytes, async () => await DrainAsync(File.OpenRead(source)));
        File.Delete(Path.Combine(folder, "inprocess-copy.bin"));

        // The stream path alone: a plugin that discards what it is sent and sends zeros; over the data channel (the
        // default for SDK plugins), and as gRPC chunk messages (what a plugin without the data channel gets).
        await MeasureDiscardAsync(settings, report, go, socket, dataChannel: true);
        await MeasureDiscardAsync(settings, report, go, socket, dataChannel: false);

        // The real storage plugin, to disk, with peak memory of both processes.
        await using (var files = await Plugins.FileSystemStorageAsync(settings, Path.Combine(folder, "store")))
        {
            PeakMemory.Reset(PeakMemory.Self);
            PeakMemory.Reset(files.ProcessId);
            var id = string.Empty;
            var store = await TimeAsync(bytes, async () =>
            {
                await using var content = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, CopyBuffer, useAsync: true);
                id = (await files.Storage.StoreAsync(new ObjectMetadata { Name = "big.bin" }, content)).Id;
            });
            var (storeHost, storePlugin) = (PeakMemory.MiB(PeakMemory.Self), PeakMemory.MiB(files.ProcessId));

            PeakMemory.Reset(PeakMemory.Self);
            PeakMemory.Reset(files.ProcessId);
            var retrieve = await TimeAsync(bytes, async () =>
            {
                await using var download = await files.Storage.RetrieveAsync(id);
                await DrainAsync(download.Content, bytes);
            });
            var (retrieveHost, retrievePlugin) = (PeakMemory.MiB(PeakMemory.Self), PeakMemory.MiB(files.ProcessId));

            report.Add(new Row($"Store {size} through FileSystemStorage", "MiB/s", store, new("cp", cp), new("in-process write+fsync", inProcessWrite)));
            report.Add(new Row($"Retrieve {size} through FileSystemStorage", "MiB/s", retrieve, new("in-process read", inProcessRead), null));
            report.Add(new Row("Peak RSS of the host during Store", "MiB", storeHost, null, new("target", 150)));
            report.Add(new Row("Peak RSS of the plugin during Store", "MiB", storePlugin, null, new("target", 150)));
            report.Add(new Row("Peak RSS of the host during Retrieve", "MiB", retrieveHost, null, new("target", 150)));
            report.Add(new Row("Peak RSS of the plugin during Retrieve", "MiB", retrievePlugin, null, new("target", 150)));
        }

        report.Note($"Streams: {size}. Over the data channel (PluginOptions.DataChannel, on by default for plugins built on the SDK), the bytes go over a raw Unix socket beside the gRPC call, which carries the metadata and the outcome; as gRPC chunk messages (DataChannel off, or a plugin without the SDK), with the host's default chunk size unless noted. The raw Unix socket is one connection in this process copying the same bytes with 256 KiB writes, as the data channel sends; " +
            "cp is `cp` then `sync` of the copy, on the disk of the data folder; in-process write is a FileStream copy with fsync, in-process read reads the file (from the page cache, as Retrieve does). " +
            "Peak RSS is VmHWM of /proc/<pid>/status, reset just before each operation through /proc/<pid>/clear_refs; the host's includes the benchmark process itself.");
        File.Delete(source);
    }

    private static async Task MeasureDiscardAsync(SuiteSettings settings, Report report, GoPeer.Result? go, double socket, bool dataChannel)
    {
        var bytes = settings.StreamBytes;
        var size = settings.Size(bytes);
        var how = dataChannel ? "over the data channel" : "as gRPC chunk messages";
        await using var discard = await Plugins.DiscardStorageAsync(settings, dataChannel);
        var cpu = CpuMeter(discard.ProcessId);
        var store = await TimeAsync(bytes, async () => await discard.Storage.StoreAsync(new ObjectMetadata { Name = "zeros" }, new ZeroStream(bytes)));
        var storeCpu = cpu();
        cpu = CpuMeter(discard.ProcessId);
        var retrieve = await TimeAsync(bytes, async () =>
        {
            await using var download = await discard.Storage.RetrieveAsync(DiscardStorage.ZerosPrefix + bytes);
            await DrainAsync(download.Content, bytes);
        });
        var retrieveCpu = cpu();
        report.Add(new Row($"Store {size} to a plugin that discards, {how}", "MiB/s", store, new("raw Unix socket", socket), UnaryMeasures.Peer(go, "go-plugin stream", r => r.StreamMiBs)));
        report.Add(new Row($"Retrieve {size} of zeros from a plugin, {how}", "MiB/s", retrieve, new("raw Unix socket", socket), new("target", 1536)));
        var perGiB = (double)(1L << 30) / bytes;
        report.Add(new Row($"CPU time of the host per GiB stored to the discarding plugin, {how}", "ms", storeCpu.Host * perGiB));
        report.Add(new Row($"CPU time of the plugin per GiB stored to it, {how}", "ms", storeCpu.Plugin * perGiB));
        report.Add(new Row($"CPU time of the host per GiB retrieved from the discarding plugin, {how}", "ms", retrieveCpu.Host * perGiB));
        report.Add(new Row($"CPU time of the plugin per GiB retrieved from it, {how}", "ms", retrieveCpu.Plugin * perGiB));
    }

    /// <summary>Starts counting the CPU time of this process and a plugin; the function returns the milliseconds used since.</summary>
    private static Func<(double Host, double Plugin)> CpuMeter(int pluginPid)
    {
        var self = Process.GetCurrentProcess().TotalProcessorTime;
        var plugin = PeakMemory.CpuMilliseconds(pluginPid);
        return () => ((Process.GetCurrentProcess().TotalProcessorTime - self).TotalMilliseconds, PeakMemory.CpuMilliseconds(pluginPid) - plugin);
    }

    /// <summary>MiB/s of an action that moves <paramref name="bytes"/> bytes.</summary>
    public static async Task<double> TimeAsync(long bytes, Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        await action();
        return Stats.MiBPerSecond(bytes, watch.Elapsed);
    }

    /// <summary>Reads a stream to its end and checks it had the expected length.</summary>
    public static async Task DrainAsync(Stream stream, long? expected = null)
    {
        await using (stream)
        {
            var buffer = new byte[CopyBuffer];
            long total = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                total += read;
            }

            if (expected is { } want && total != want)
            {
                throw new InvalidOperationException($"Read {total} bytes where {want} were expected.");
            }
        }
    }

    private static async Task WriteSourceAsync(string path, long bytes)
    {
        var block = new byte[CopyBuffer];
        new Random(7).NextBytes(block);
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, CopyBuffer, useAsync: true);
        for (long written = 0; written < bytes; written += block.Length)
        {
            await file.WriteAsync(block.AsMemory(0, (int)Math.Min(block.Length, bytes - written)));
        }
    }

    private static async Task CopyFileAsync(string from, string to)
    {
        await using (var source = new FileStream(from, FileMode.Open, FileAccess.Read, FileShare.Read, CopyBuffer, useAsync: true))
        await using (var target = new FileStream(to, FileMode.Create, FileAccess.Write, FileShare.None, CopyBuffer, useAsync: true))
        {
            await source.CopyToAsync(target, CopyBuffer);
            target.Flush(flushToDisk: true);
        }
    }

    private static async Task<double> CpAsync(string from, string to, long bytes)
    {
        var watch = Stopwatch.StartNew();
        using (var cp = Process.Start(new ProcessStartInfo("sh", ["-c", "cp \"$1\" \"$2\" && sync \"$2\"", "sh", from, to]) { UseShellExecute = false })!)
        {
            await cp.WaitForExitAsync();
            if (cp.ExitCode != 0)
            {
                throw new InvalidOperationException($"cp {from} {to} failed with exit code {cp.ExitCode}.");
            }
        }

        var rate = Stats.MiBPerSecond(bytes, watch.Elapsed);
        File.Delete(to);
        return rate;
    }

    private static async Task<double> RawUnixSocketAsync(string folder, long bytes)
    {
        var path = Path.Combine(folder, "raw.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var accepting = listener.AcceptAsync();
        await client.ConnectAsync(new UnixDomainSocketEndPoint(path));
        using var server = await accepting;
        var watch = Stopwatch.StartNew();
        var reading = DrainAsync(new NetworkStream(server, ownsSocket: false), bytes);
        await using (var writer = new NetworkStream(client, ownsSocket: false))
        {
            var chunk = new byte[DataChannelCopyBuffer];
            for (long sent = 0; sent < bytes; sent += chunk.Length)
            {
                await writer.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, bytes - sent)));
            }
        }

        client.Shutdown(SocketShutdown.Send);
        await reading;
        File.Delete(path);
        return Stats.MiBPerSecond(bytes, watch.Elapsed);
    }
}
