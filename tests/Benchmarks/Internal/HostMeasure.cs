using System.Globalization;
using System.Text.Json;
using GrpcPlugins.Benchmarks.Internal.Servers;

namespace GrpcPlugins.Benchmarks.Internal;

/// <summary>
/// The main job: many concurrent uploads, then downloads, through the real file-transfer host and its plugins, and
/// through what a user would run instead (a plain ASP.NET Core server, nginx), all driven by the same client, the
/// servers interleaved over rounds, with the CPU time of every process of each server beside the rate.
/// </summary>
internal static class HostMeasure
{
    private const string PlainToken = "benchmark-plain-token";

    public static async Task RunAsync(SuiteSettings settings, Report report, string folder)
    {
        var count = settings.HostTransfers;
        var each = settings.HostTransferBytes;
        var total = count * each;

        // The limit: the same files written (with fsync) and read back by this process.
        var local = Directory.CreateDirectory(Path.Combine(folder, "host-floor")).FullName;
        var floorWrite = await StreamMeasures.TimeAsync(total, () => Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await using var file = new FileStream(Path.Combine(local, $"{i}.bin"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true);
            await new ZeroStream(each).CopyToAsync(file, 1 << 20);
            file.Flush(flushToDisk: true);
        })));
        var floorRead = await StreamMeasures.TimeAsync(total, () => Task.WhenAll(Enumerable.Range(0, count).Select(i =>
            StreamMeasures.DrainAsync(File.OpenRead(Path.Combine(local, $"{i}.bin")), each))));
        Directory.Delete(local, recursive: true);

        var servers = new List<ServerUnderTest>();
        try
        {
            // Started one after the other: a host with its plugins takes long to start on a busy machine.
            if (settings.HostServers.Contains("ft"))
            {
                servers.Add(await FileTransferServer.StartAsync("ft", Path.Combine(folder, "ft-data"), ["--FileTransfer:Scanning:Enabled=false", .. FileTransferServer.LoadTolerant]));
            }

            if (settings.HostVariant.Count > 0)
            {
                servers.Add(await FileTransferServer.StartAsync("ft-b", Path.Combine(folder, "ft-b-data"), ["--FileTransfer:Scanning:Enabled=false", .. FileTransferServer.LoadTolerant, .. settings.HostVariant]));
            }

            if (settings.HostServers.Contains("ft-scan"))
            {
                servers.Add(await FileTransferServer.StartAsync("ft-scan", Path.Combine(folder, "ft-scan-data"), FileTransferServer.LoadTolerant));
            }

            if (settings.HostServers.Contains("plain"))
            {
                servers.Add(await PlainServer.StartAsync(folder, PlainToken));
            }

            if (settings.HostServers.Contains("nginx") && await NginxServer.StartAsync(folder, PlainToken, install: !settings.Smoke, report) is { } nginx)
            {
                servers.Add(nginx);
            }

            // A server's first gigabytes run while its JIT still compiles and re-tiers the hot paths (on 2 busy cores
            // the tiering thread lags by tens of seconds); what a user runs for hours is the warm server.
            for (var round = 0; round < settings.HostWarmupRounds; round++)
            {
                foreach (var server in servers)
                {
                    Console.Error.WriteLine($"   warm-up {round + 1}: {server.Name}");
                    await MeasureAsync(server, new ServerResults(), $"w{round}", count, each);
                }
            }

            var results = servers.ToDictionary(s => s.Name, _ => new ServerResults());
            for (var round = 0; round < settings.HostRounds; round++)
            {
                // Each round starts with the next server, so that none always runs first or after the same one.
                foreach (var server in servers.Skip(round % servers.Count).Concat(servers.Take(round % servers.Count)))
                {
                    Console.Error.WriteLine($"   round {round + 1}: {server.Name}");
                    try
                    {
                        await MeasureAsync(server, results[server.Name], $"r{round}", count, each);
                    }
                    catch (Exception e) when (e is InvalidOperationException or HttpRequestException)
                    {
                        // A failed transfer makes the round's figures meaningless; the other rounds and servers still count.
                        report.Note($"File-transfer comparison, {server.Name}, round {round + 1}: not measured, {e.Message}");
                    }
                }
            }

            AddRows(settings, report, results, floorWrite, floorRead);
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.StopAsync();
            }
        }
    }

    private static async Task MeasureAsync(ServerUnderTest server, ServerResults results, string round, int count, long each)
    {
        using var http = server.NewClient();
        var ids = new string[count];
        var before = ProcessTreeCpu.Snapshot(server.Root.Id);
        results.Upload.Add(await StreamMeasures.TimeAsync(count * each, () => Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            var name = $"bench-{round}-{i}.bin";
            using var content = new StreamContent(new ZeroStream(each), 1 << 20);
            content.Headers.ContentLength = each;
            using var put = await http.PutAsync($"/v1/files/{name}", content);
            if (!put.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{server.Name}: PUT {name} answered {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
            }

            if (server.IdFromBody)
            {
                using var body = JsonDocument.Parse(await put.Content.ReadAsStringAsync());
                ids[i] = body.RootElement.GetProperty("id").GetString()!;
            }
            else
            {
                ids[i] = name;
            }
        }))));
        var afterUpload = ProcessTreeCpu.Snapshot(server.Root.Id);
        results.UploadCpu.Add(PerGiB(ProcessTreeCpu.Between(before, afterUpload), count * each));

        var readBefore = DiskReads.MiB();
        results.Download.Add(await StreamMeasures.TimeAsync(count * each, () => Task.WhenAll(ids.Select(async id =>
        {
            using var get = await http.GetAsync($"/v1/files/{id}", HttpCompletionOption.ResponseHeadersRead);
            get.EnsureSuccessStatusCode();
            await StreamMeasures.DrainAsync(await get.Content.ReadAsStreamAsync(), each);
        }))));
        results.DownloadCpu.Add(PerGiB(ProcessTreeCpu.Between(afterUpload, ProcessTreeCpu.Snapshot(server.Root.Id)), count * each));
        results.DownloadDiskReads.Add(DiskReads.MiB() - readBefore);
    }

    private static Dictionary<string, double> PerGiB(Dictionary<string, double> ms, long bytes) =>
        ms.ToDictionary(p => p.Key, p => p.Value / 1000.0 * (1L << 30) / bytes);

    private static void AddRows(SuiteSettings settings, Report report, Dictionary<string, ServerResults> results, double floorWrite, double floorRead)
    {
        var what = $"{settings.HostTransfers} concurrent {settings.Size(settings.HostTransferBytes)}";
        ServerResults? Of(string name) => results.GetValueOrDefault(name);
        Reference? Ref(string name, string label, Func<ServerResults, double> figure) => Of(name) is { } r ? new(label, figure(r)) : null;

        foreach (var (phase, rate, cpu, floor) in new (string, Func<ServerResults, double>, Func<ServerResults, double>, Reference)[]
        {
            ("uploads", r => Median(r.Upload), r => Median(r.UploadCpu.Select(c => c.Values.Sum())), new("in-process write+fsync", floorWrite)),
            ("downloads", r => Median(r.Download), r => Median(r.DownloadCpu.Select(c => c.Values.Sum())), new("in-process read", floorRead)),
        })
        {
            var plainRate = Ref("plain", "plain ASP.NET Core", rate);
            var nginxRate = Ref("nginx", "nginx", rate);
            if (Of("ft") is { } ft)
            {
                report.Add(new Row($"File-transfer host: {what} {phase}", "MiB/s", rate(ft), plainRate, nginxRate));
                report.Add(new Row($"File-transfer host: server CPU per GiB of {phase}, all its processes", "s", cpu(ft), Ref("plain", "plain ASP.NET Core", cpu), Ref("nginx", "nginx", cpu)));
            }

            if (Of("ft-b") is { } b)
            {
                var variant = string.Join(' ', settings.HostVariant);
                report.Add(new Row($"File-transfer host with {variant}: {what} {phase}", "MiB/s", rate(b), Ref("ft", "file-transfer host", rate), plainRate));
                report.Add(new Row($"File-transfer host with {variant}: server CPU per GiB of {phase}", "s", cpu(b), Ref("ft", "file-transfer host", cpu), Ref("plain", "plain ASP.NET Core", cpu)));
            }

            if (Of("ft-scan") is { } scan && phase == "uploads")
            {
                report.Add(new Row($"File-transfer host, ContentScanner on (as shipped): {what} {phase}", "MiB/s", rate(scan), Ref("ft", "scanning off", rate), plainRate));
                report.Add(new Row($"File-transfer host, ContentScanner on: server CPU per GiB of {phase}", "s", cpu(scan), Ref("ft", "scanning off", cpu), Ref("plain", "plain ASP.NET Core", cpu)));
            }

            if (Of("plain") is { } plain)
            {
                report.Add(new Row($"Plain ASP.NET Core: {what} {phase}", "MiB/s", rate(plain), floor, nginxRate));
            }

            if (Of("nginx") is { } nginx)
            {
                report.Add(new Row($"nginx: {what} {phase}", "MiB/s", rate(nginx), floor, null));
            }
        }

        foreach (var (name, r) in results)
        {
            report.Note($"File-transfer comparison, {name}: uploads {Rounds(r.Upload)} MiB/s, CPU s/GiB by process {Breakdown(r.UploadCpu)}; " +
                $"downloads {Rounds(r.Download)} MiB/s, CPU s/GiB by process {Breakdown(r.DownloadCpu)}, read from disk meanwhile {Rounds(r.DownloadDiskReads)} MiB.");
        }

        report.Note($"File-transfer comparison: {what} uploads (HTTP/1.1 PUT /v1/files/{{name}}, one connection each), then downloads of them (GET /v1/files/{{id}}), on loopback from this process; " +
            $"{settings.HostRounds} round(s), the servers interleaved (each round starts with the next server), medians shown, every round listed below. " +
            "ft is examples/FileTransfer.Host with its default plugins and FileTransfer:Scanning:Enabled=false (each request authorized by the auth plugin, each file hashed and stored by FileSystemStorage); " +
            "ft-scan is the host as shipped, each upload also scanned by the ContentScanner plugin; " +
            "plain is this program's serve-plain mode: ASP.NET Core with the host's Kestrel settings and GC, an in-process token check, the upload hashed with SHA-256 into a temp file, fsync and rename, the download sent from disk; " +
            "nginx is Debian's nginx with its own config (token checked in the config, PUT by the dav module: a temp file renamed, no fsync, no hash; GET with sendfile). " +
            "The hosts let their quota middleware fail open (FileTransfer:MiddlewareFailOpen), so that a middleware call slowed past its 2 s limit by other work on the machine does not fail an upload; the call is still made on every request. " +
            "CPU is user+system time from /proc of the server's process and every descendant, per GiB moved; the client's own CPU is not counted. " +
            "Read from disk is the machine's pgpgin (/proc/vmstat) during the downloads: near 0 when the files just uploaded were still in the page cache, near their size when the kernel had evicted them (a download from disk costs the server about twice the CPU per GiB), plus what other work on the machine read.");
    }

    private static double Median(IEnumerable<double> values) => Stats.Percentile(values.Where(v => !double.IsNaN(v)).ToList(), 0.5);

    private static string Rounds(List<double> values) => string.Join(" / ", values.Select(v => v.ToString("0", CultureInfo.InvariantCulture)));

    private static string Breakdown(List<Dictionary<string, double>> rounds) =>
        string.Join(", ", rounds.SelectMany(r => r.Keys).Distinct().Select(p => $"{p} {Median(rounds.Select(r => r.GetValueOrDefault(p))):0.00}")) +
        $" (total {Median(rounds.Select(r => r.Values.Sum())):0.00})";

    private sealed class ServerResults
    {
        public List<double> Upload { get; } = [];

        public List<double> Download { get; } = [];

        public List<Dictionary<string, double>> UploadCpu { get; } = [];

        public List<Dictionary<string, double>> DownloadCpu { get; } = [];

        public List<double> DownloadDiskReads { get; } = [];
    }
}
