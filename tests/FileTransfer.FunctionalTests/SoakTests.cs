using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// A bounded soak: many clients upload, download, list and delete through a real host for a fixed time. The host's
/// memory stays within a generous bound, no file descriptors leak, its only children are its four plugins, and no
/// plugin process outlives it. Runs 20 s by default; <c>SOAK_SECONDS=600</c> makes it a real soak.
/// </summary>
[Collection(nameof(SoakTests))]
public sealed class SoakTests(ITestOutputHelper output)
{
    private const int Clients = 32;
    private const long MaxRssGrowth = 100L * 1024 * 1024;
    private const int FdTolerance = 64;

    private static int Seconds => int.TryParse(Environment.GetEnvironmentVariable("SOAK_SECONDS"), CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 20;

    [Fact]
    public async Task Host_ManyClientsForAFixedTime_MemoryFlatNoFdOrProcessLeak()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // /proc is where RSS, descriptors and children are read.
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var host = await HostProcess.StartAsync();
        output.WriteLine($"host started after {clock.Elapsed}");
        int[] pluginPids;
        try
        {
            var token = await host.LoginAsync();
            pluginPids = await PluginPidsAsync(host, token);
            using var client = host.Client(token);
            var errors = new List<string>();
            var operations = 0L;

            // Warm-up: the same load for a while, so JIT, pools and caches have grown before the baseline is read.
            await RunLoadAsync(client, TimeSpan.FromSeconds(Math.Max(3, Seconds / 5)), errors, () => Interlocked.Increment(ref operations));
            await SettleAsync(client);
            var rssBefore = Rss(host.ProcessId);
            var fdsBefore = OpenFds(host.ProcessId);
            var pluginRssBefore = pluginPids.ToDictionary(p => p, Rss);

            await RunLoadAsync(client, TimeSpan.FromSeconds(Seconds), errors, () => Interlocked.Increment(ref operations));
            await SettleAsync(client);
            var rssAfter = Rss(host.ProcessId);
            output.WriteLine($"{operations} operations by {clock.Elapsed}; host RSS {rssBefore >> 20} -> {rssAfter >> 20} MiB");
            var fdsAfter = OpenFds(host.ProcessId);

            Assert.True(errors.Count == 0, $"{errors.Count} of {operations} operations failed, first: {string.Join("\n", errors.Take(5))}");
            Assert.True(operations > Clients, $"only {operations} operations ran");
            Assert.True(rssAfter - rssBefore < MaxRssGrowth, $"host RSS grew from {rssBefore >> 20} MiB to {rssAfter >> 20} MiB over {operations} operations");
            Assert.All(pluginPids, p => Assert.True(Rss(p) - pluginRssBefore[p] < MaxRssGrowth, $"plugin {p} RSS grew from {pluginRssBefore[p] >> 20} MiB to {Rss(p) >> 20} MiB"));
            Assert.True(fdsAfter - fdsBefore < FdTolerance, $"host file descriptors went from {fdsBefore} to {fdsAfter}");
            Assert.Equal(pluginPids.Order(), Children(host.ProcessId).Order());
            Assert.Equal(pluginPids.Order(), (await PluginPidsAsync(host, token)).Order());
        }
        finally
        {
            await host.DisposeAsync();
        }

        output.WriteLine($"host stopped after {clock.Elapsed}");

        // After the host stops, none of its plugins is left behind.
        using var gone = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (pluginPids.Any(Alive) && !gone.IsCancellationRequested)
        {
            await Task.Delay(100);
        }

        Assert.DoesNotContain(pluginPids, Alive);
    }

    private static async Task RunLoadAsync(HttpClient client, TimeSpan duration, List<string> errors, Action counted)
    {
        using var stop = new CancellationTokenSource(duration);
        var workers = Enumerable.Range(0, Clients).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            var mine = new Queue<(string Id, byte[] Hash)>();
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await OneRoundAsync(client, worker, random, mine);
                }
                catch (Exception ex)
                {
                    lock (errors)
                    {
                        errors.Add($"client {worker}: {ex.GetType().Name}: {ex.Message}");
                    }
                }

                counted();
            }

            // Leave nothing behind, so the next phase starts from the same stored state.
            while (mine.TryDequeue(out var left))
            {
                using var delete = await client.DeleteAsync($"/v1/files/{left.Id}");
            }
        }));
        await Task.WhenAll(workers).WaitAsync(duration + HostProcess.Timeout);
    }

    // Upload, download and check, list, and delete the oldest once a client holds a few files.
    private static async Task OneRoundAsync(HttpClient client, int worker, Random random, Queue<(string Id, byte[] Hash)> mine)
    {
        var content = new byte[random.Next(1, 512 * 1024)];
        random.NextBytes(content);
        using var put = await client.PutAsync($"/v1/files/soak-{worker}-{random.Next()}.bin", new ByteArrayContent(content));
        await EnsureAsync(put, HttpStatusCode.Created);
        var id = (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        mine.Enqueue((id, SHA256.HashData(content)));

        var (someId, hash) = mine.ElementAt(random.Next(mine.Count));
        using var get = await client.GetAsync($"/v1/files/{someId}");
        await EnsureAsync(get, HttpStatusCode.OK);
        Assert.Equal(hash, SHA256.HashData(await get.Content.ReadAsByteArrayAsync()));

        using var list = await client.GetAsync($"/v1/files?prefix=soak-{worker}-&limit=5");
        await EnsureAsync(list, HttpStatusCode.OK);

        if (mine.Count > 4)
        {
            using var delete = await client.DeleteAsync($"/v1/files/{mine.Dequeue().Id}");
            await EnsureAsync(delete, HttpStatusCode.NoContent);
        }
    }

    private static async Task EnsureAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode != expected)
        {
            throw new HttpRequestException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    // Idle connections and finished calls release their descriptors; a stats call proves the host answers again.
    private static async Task SettleAsync(HttpClient client)
    {
        await Task.Delay(TimeSpan.FromSeconds(2));
        using var stats = await client.GetAsync("/v1/stats");
        await EnsureAsync(stats, HttpStatusCode.OK);
    }

    private static async Task<int[]> PluginPidsAsync(HostProcess host, string token)
    {
        using var client = host.Client(token);
        using var body = JsonDocument.Parse(await client.GetStringAsync("/v1/plugins"));
        return [.. body.RootElement.GetProperty("plugins").EnumerateArray().Select(p => p.GetProperty("pid").GetInt32())];
    }

    private static long Rss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    private static int OpenFds(int pid) => Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;

    private static bool Alive(int pid) => File.Exists($"/proc/{pid}/status") && !File.ReadAllText($"/proc/{pid}/status").Contains("State:\tZ", StringComparison.Ordinal);

    private static List<int> Children(int pid)
    {
        var children = new List<int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var child))
            {
                continue;
            }

            try
            {
                // The fourth field of /proc/<pid>/stat is the parent; the name before it is in parentheses and may hold spaces.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1], CultureInfo.InvariantCulture) == pid)
                {
                    children.Add(child);
                }
            }
            catch (IOException)
            {
                // The process exited while being read.
            }
        }

        return children;
    }
}

/// <summary>Runs the soak alone, after the other tests, so its load neither slows them nor is slowed by them.</summary>
[CollectionDefinition(nameof(SoakTests), DisableParallelization = true)]
public sealed class SoakCollection;
