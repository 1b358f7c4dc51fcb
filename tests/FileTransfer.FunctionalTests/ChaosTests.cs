using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// The storage plugin is killed with SIGKILL under load, three times. Users get their bytes back intact, a typed 503,
/// or, when the plugin died after the answer had begun, a broken connection; never a 500, a hang, a short body read as
/// complete, or a partial file. The supervisor brings the plugin back each time.
/// </summary>
public sealed class ChaosTests(ITestOutputHelper output)
{
    private const int Clients = 200;
    private const int Kills = 3;
    private const int SeedFiles = 20;
    private const long FileSize = 256 * 1024;

    [Fact]
    public async Task StorageKilledThreeTimes_Under200Clients_FilesAbsentOrIntactAndErrorsTyped()
    {
        await using var host = await HostProcess.StartAsync();
        var token = await host.LoginAsync();
        using var client = host.Client(token);
        var seeded = new Dictionary<string, int>();
        for (var seed = 0; seed < SeedFiles; seed++)
        {
            seeded[await TransferApiTests.PutAsync(client, $"seed-{seed}.bin", FileSize, seed)] = seed;
        }

        var outcomes = new ConcurrentBag<string>();
        var acknowledged = new ConcurrentDictionary<string, int>();
        using var killing = new CancellationTokenSource();
        var clients = Enumerable.Range(0, Clients)
            .Select(c => RunClientAsync(client, c, seeded, outcomes, acknowledged, killing.Token))
            .ToList();

        var recoveries = await KillStorageAsync(host, token);
        await killing.CancelAsync();
        await Task.WhenAll(clients).WaitAsync(HostProcess.Timeout);
        output.WriteLine($"Seconds from each SIGKILL until the storage plugin served again: {string.Join(", ", recoveries.Select(r => r.TotalSeconds.ToString("0.00")))}");
        output.WriteLine(string.Join(", ", outcomes.GroupBy(o => o).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}")));
        var stored = await ListAllAsync(client);

        Assert.Equal(Kills, recoveries.Count);
        Assert.All(outcomes, o => Assert.Contains(o, new[] { "upload 201", "upload 503", "upload interrupted", "download 200", "download 503", "download interrupted" }));
        Assert.Contains(outcomes, o => o is "upload 503" or "download 503" or "download interrupted"); // The kills did hit requests in flight.
        foreach (var (id, name, size, sha256) in stored)
        {
            var seed = ExpectedSeed(name, seeded, id);
            Assert.Equal(Payload.Sha256Of(FileSize, seed), sha256);
            Assert.Equal(FileSize, size);
            using var download = await client.GetAsync($"/v1/files/{id}");
            Assert.Equal(Payload.Sha256Of(FileSize, seed), await Payload.Sha256Async(await download.Content.ReadAsStreamAsync()));
        }

        Assert.All(acknowledged.Keys, id => Assert.Contains(stored, s => s.Id == id));
    }

    private static int ExpectedSeed(string name, Dictionary<string, int> seeded, string id) =>
        seeded.TryGetValue(id, out var seed) ? seed : UploadSeed(int.Parse(name.Split('-')[1].Split('.')[0]));

    // An upload named chaos-<n>.bin holds the payload of this seed; seeds of seeded files stay below 1000.
    private static int UploadSeed(int n) => (n % 1000) + 1000;

    private static async Task RunClientAsync(
        HttpClient client, int clientNumber, Dictionary<string, int> seeded, ConcurrentBag<string> outcomes, ConcurrentDictionary<string, int> acknowledged, CancellationToken killing)
    {
        var seededIds = seeded.Keys.ToArray();
        for (var round = 0; !killing.IsCancellationRequested; round++)
        {
            if ((clientNumber + round) % 2 == 0)
            {
                var n = (clientNumber * 1000) + round;
                var seed = UploadSeed(n);
                var name = $"chaos-{n}.bin";
                HttpResponseMessage put;
                try
                {
                    put = await client.PutAsync($"/v1/files/{name}", new StreamContent(new Payload(FileSize, seed)));
                }
                catch (HttpRequestException)
                {
                    // The connection closed under a body still being sent; the file must then be absent or intact.
                    outcomes.Add("upload interrupted");
                    continue;
                }

                using var _ = put;
                outcomes.Add($"upload {(int)put.StatusCode}");
                await CheckTypedErrorAsync(put);
                if (put.StatusCode == HttpStatusCode.Created)
                {
                    acknowledged[(await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!] = seed;
                }
            }
            else
            {
                var id = seededIds[(clientNumber + round) % seededIds.Length];
                outcomes.Add(await DownloadAsync(client, id, seeded[id]));
            }
        }
    }

    private static async Task<string> DownloadAsync(HttpClient client, string id, int seed)
    {
        HttpResponseMessage get;
        try
        {
            get = await client.GetAsync($"/v1/files/{id}", HttpCompletionOption.ResponseHeadersRead);
        }
        catch (HttpRequestException)
        {
            // The plugin died after the host had begun its answer, before the headers reached the client.
            return "download interrupted";
        }

        using var _ = get;
        if (get.StatusCode != HttpStatusCode.OK)
        {
            await CheckTypedErrorAsync(get);
            return $"download {(int)get.StatusCode}";
        }

        string sha256;
        try
        {
            sha256 = await Payload.Sha256Async(await get.Content.ReadAsStreamAsync());
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            // The plugin died after the headers went out: the client must see a broken body, never a short one.
            return "download interrupted";
        }

        Assert.Equal(Payload.Sha256Of(FileSize, seed), sha256);
        return "download 200";
    }

    private static async Task CheckTypedErrorAsync(HttpResponseMessage response)
    {
        if ((int)response.StatusCode < 400)
        {
            return;
        }

        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {problem}");
        Assert.Equal("unavailable", problem.GetProperty("code").GetString());
    }

    private async Task<List<TimeSpan>> KillStorageAsync(HostProcess host, string token)
    {
        var recoveries = new List<TimeSpan>();
        for (var kill = 0; kill < Kills; kill++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            var pid = await host.PluginPidAsync(token, "files");
            using (var storage = Process.GetProcessById(pid))
            {
                storage.Kill();
            }

            var killedAt = Stopwatch.StartNew();
            while (await RunningPidAsync(host, token) is not { } next || next == pid)
            {
                await Task.Delay(20);
                Assert.True(killedAt.Elapsed < HostProcess.Timeout, "The storage plugin did not come back after a kill.");
            }

            recoveries.Add(killedAt.Elapsed);
            output.WriteLine($"kill {kill + 1}: process {pid} killed; serving again after {killedAt.Elapsed.TotalSeconds:0.00} s");
        }

        return recoveries;
    }

    private static async Task<int?> RunningPidAsync(HostProcess host, string token)
    {
        using var client = host.Client(token);
        using var body = JsonDocument.Parse(await client.GetStringAsync("/v1/plugins"));
        var files = body.RootElement.GetProperty("plugins").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "files");
        return files.GetProperty("status").GetString() == "running" ? files.GetProperty("pid").GetInt32() : null;
    }

    private static async Task<List<(string Id, string Name, long Size, string Sha256)>> ListAllAsync(HttpClient client)
    {
        var all = new List<(string, string, long, string)>();
        string? pageToken = null;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>($"/v1/files?limit=1000&pageToken={Uri.EscapeDataString(pageToken ?? string.Empty)}");
            foreach (var item in page.GetProperty("items").EnumerateArray())
            {
                all.Add((item.GetProperty("id").GetString()!, item.GetProperty("name").GetString()!, item.GetProperty("size").GetInt64(), item.GetProperty("sha256").GetString()!));
            }

            pageToken = page.GetProperty("nextPageToken").GetString();
        }
        while (!string.IsNullOrEmpty(pageToken));
        return all;
    }
}
