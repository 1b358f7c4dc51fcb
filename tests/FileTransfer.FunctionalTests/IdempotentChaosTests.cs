using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// Exactly once under crashes: many clients upload, each file with its own Idempotency-Key, retrying every answer that
/// is not a 201 with the same key, while the storage plugin is SIGKILLed again and again. Every answer is accounted for
/// (a 201, a typed 503, or a connection broken under the request), every upload is confirmed in the end, every key
/// has exactly one stored copy, and every acknowledged file comes back with its SHA-256.
/// Short by default (CI); CHAOS_SECONDS and CHAOS_CLIENTS make it a long run, such as CHAOS_SECONDS=300 CHAOS_CLIENTS=200.
/// </summary>
public sealed class IdempotentChaosTests(ITestOutputHelper output)
{
    private const long FileSize = 128 * 1024;

    private static int Seconds => Setting("CHAOS_SECONDS", 15);

    private static int Clients => Setting("CHAOS_CLIENTS", 32);

    [Fact]
    public async Task UploadsWithIdempotencyKeys_StorageKilledRepeatedly_EveryKeyStoredOnceAndIntact()
    {
        await using var host = await HostProcess.StartAsync();
        var token = await host.LoginAsync();
        using var client = host.Client(token);
        var answers = new ConcurrentBag<string>();
        var confirmed = new ConcurrentDictionary<string, Upload>();
        using var chaos = new CancellationTokenSource();

        var clients = Enumerable.Range(0, Clients).Select(c => RunClientAsync(client, c, answers, confirmed, chaos.Token)).ToList();
        var kills = await KillRepeatedlyAsync(host, token, TimeSpan.FromSeconds(Seconds));
        await chaos.CancelAsync();
        await Task.WhenAll(clients).WaitAsync(HostProcess.Timeout * 2);
        var stored = await ListAllAsync(client);
        output.WriteLine($"{Clients} clients, {Seconds} s, {kills} kills, {confirmed.Count} uploads confirmed");
        output.WriteLine(string.Join(", ", answers.GroupBy(a => a).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}")));

        Assert.True(kills >= 2, $"Only {kills} kills in {Seconds} s.");
        Assert.Contains(answers, a => a is "503" or "interrupted"); // The kills did hit uploads in flight.
        Assert.All(answers, a => Assert.Contains(a, new[] { "201", "503", "interrupted" }));
        foreach (var upload in confirmed.Values)
        {
            // One copy per key, whatever the retries: the name is unique to the key.
            var copies = stored.Where(s => s.Name == upload.Name).ToList();
            Assert.True(copies.Count == 1, $"{upload.Name} (key {upload.Key}) is stored {copies.Count} times.");
            Assert.Equal(upload.Id, copies[0].Id);
            Assert.Equal(Payload.Sha256Of(FileSize, upload.Seed), copies[0].Sha256);
        }

        Assert.Equal(confirmed.Count, stored.Count(s => s.Name.StartsWith("chaos-", StringComparison.Ordinal)));
        foreach (var upload in confirmed.Values.Take(50))
        {
            using var download = await client.GetAsync($"/v1/files/{upload.Id}");
            Assert.Equal(Payload.Sha256Of(FileSize, upload.Seed), await Payload.Sha256Async(await download.Content.ReadAsStreamAsync()));
        }
    }

    private static async Task RunClientAsync(HttpClient client, int clientNumber, ConcurrentBag<string> answers, ConcurrentDictionary<string, Upload> confirmed, CancellationToken chaos)
    {
        for (var round = 0; !chaos.IsCancellationRequested; round++)
        {
            var name = $"chaos-{clientNumber}-{round}.bin";
            var key = Guid.NewGuid().ToString();
            var seed = (clientNumber * 10_000) + round;
            var ids = new HashSet<string>();
            var waited = Stopwatch.StartNew();

            // Retried with the same key until confirmed, also after the chaos ends: every upload begun gets an outcome.
            while (true)
            {
                var answer = await PutOnceAsync(client, name, key, seed);
                answers.Add(answer.Kind);
                if (answer.Id is not null)
                {
                    ids.Add(answer.Id);
                    break;
                }

                Assert.True(waited.Elapsed < HostProcess.Timeout, $"{name} was not confirmed within {HostProcess.Timeout}.");
                await Task.Delay(50);
            }

            // Every 201 for one key named the same file.
            Assert.Single(ids);
            confirmed[key] = new Upload(key, name, seed, ids.Single());
        }
    }

    private static async Task<(string Kind, string? Id)> PutOnceAsync(HttpClient client, string name, string key, int seed)
    {
        HttpResponseMessage response;
        try
        {
            response = await IdempotentUploadTests.SendPutAsync(client, name, seed, key, FileSize);
        }
        catch (HttpRequestException)
        {
            // The connection broke under the request: the outcome is unknown until the retry with the same key.
            return ("interrupted", null);
        }

        using var _ = response;
        if (response.StatusCode == HttpStatusCode.Created)
        {
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(Payload.Sha256Of(FileSize, seed), body.GetProperty("sha256").GetString());
            return ("201", body.GetProperty("id").GetString());
        }

        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{name}: {(int)response.StatusCode} {problem}");
        Assert.Equal("unavailable", problem.GetProperty("code").GetString());
        return ("503", null);
    }

    private async Task<int> KillRepeatedlyAsync(HostProcess host, string token, TimeSpan duration)
    {
        var kills = 0;
        var elapsed = Stopwatch.StartNew();
        while (elapsed.Elapsed < duration)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(1500));
            if (await RunningPidAsync(host, token) is not { } pid)
            {
                continue;
            }

            try
            {
                using var storage = Process.GetProcessById(pid);
                storage.Kill();
                kills++;
                output.WriteLine($"{elapsed.Elapsed.TotalSeconds:0.0} s: storage plugin {pid} killed");
            }
            catch (ArgumentException)
            {
                // Already gone: the supervisor is restarting it.
            }
        }

        return kills;
    }

    private static async Task<int?> RunningPidAsync(HostProcess host, string token)
    {
        using var client = host.Client(token);
        using var body = JsonDocument.Parse(await client.GetStringAsync("/v1/plugins"));
        var files = body.RootElement.GetProperty("plugins").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "files");
        return files.GetProperty("status").GetString() == "running" ? files.GetProperty("pid").GetInt32() : null;
    }

    private static async Task<List<(string Id, string Name, string Sha256)>> ListAllAsync(HttpClient client)
    {
        var all = new List<(string, string, string)>();
        string? pageToken = null;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>($"/v1/files?limit=1000&pageToken={Uri.EscapeDataString(pageToken ?? string.Empty)}");
            foreach (var item in page.GetProperty("items").EnumerateArray())
            {
                all.Add((item.GetProperty("id").GetString()!, item.GetProperty("name").GetString()!, item.GetProperty("sha256").GetString()!));
            }

            pageToken = page.GetProperty("nextPageToken").GetString();
        }
        while (!string.IsNullOrEmpty(pageToken));
        return all;
    }

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;

    private sealed record Upload(string Key, string Name, int Seed, string Id);
}
