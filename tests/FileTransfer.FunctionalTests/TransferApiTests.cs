using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;

namespace FileTransfer.FunctionalTests;

/// <summary>Sending a stored file from one real host to another with the HTTP protocol plugin.</summary>
public sealed class TransferApiTests
{
    [Fact]
    public async Task Send_AToB_ArrivesWithSameSha256AndEventsEnd()
    {
        await using var a = await HostProcess.StartAsync();
        await using var b = await HostProcess.StartAsync();
        using var onA = a.Client(await a.LoginAsync());
        var tokenB = await b.LoginAsync();
        using var onB = b.Client(tokenB);
        const long size = 24L * 1024 * 1024;
        var fileId = await PutAsync(onA, "sent.bin", size, seed: 7);

        using var start = await onA.PostAsJsonAsync("/v1/transfers", new { fileId, destination = b.BaseUrl, destinationToken = tokenB });
        var transfer = await start.Content.ReadFromJsonAsync<JsonElement>();
        var transferId = transfer.GetProperty("id").GetString()!;
        var events = await ReadEventsAsync(onA, transferId);
        var received = await FindAsync(onB, "sent.bin");

        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        Assert.Equal("completed", events[^1].GetProperty("status").GetString());
        Assert.Equal(Payload.Sha256Of(size, seed: 7), received.GetProperty("sha256").GetString());
        using var download = await onB.GetAsync($"/v1/files/{received.GetProperty("id").GetString()}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(Payload.Sha256Of(size, seed: 7), await Payload.Sha256Async(await download.Content.ReadAsStreamAsync()));
    }

    [Fact]
    public async Task List_TransfersStarted_NewestFirstWithProgressAndSessionRequired()
    {
        await using var host = await HostProcess.StartAsync(settings: ["--Plugins:http:Config:throttle_bytes_per_second=8388608"]);
        var token = await host.LoginAsync();
        using var client = host.Client(token);
        var first = await PutAsync(client, "first.bin", 64 * 1024, seed: 1);
        var second = await PutAsync(client, "second.bin", 8L * 1024 * 1024, seed: 2);

        var firstId = await StartToSelfAsync(client, host, first, token);
        await WaitForAsync(client, firstId, t => t.GetProperty("status").GetString() is "completed");
        var secondId = await StartToSelfAsync(client, host, second, token);
        var moving = await ListedAsync(client, secondId, t => t.GetProperty("bytesTransferred").GetInt64() > 0);
        var done = await ListedAsync(client, secondId, t => t.GetProperty("status").GetString() is "completed");
        var all = (await client.GetFromJsonAsync<JsonElement>("/v1/transfers")).GetProperty("transfers");
        var limited = (await client.GetFromJsonAsync<JsonElement>("/v1/transfers?limit=1")).GetProperty("transfers");
        using var anonymous = await host.Http.GetAsync("/v1/transfers");

        Assert.Equal([secondId, firstId], all.EnumerateArray().Select(t => t.GetProperty("id").GetString()));
        Assert.Equal(second, moving.GetProperty("fileId").GetString());
        Assert.Equal(host.BaseUrl, moving.GetProperty("destination").GetString());
        Assert.Equal(8L * 1024 * 1024, moving.GetProperty("totalBytes").GetInt64());
        Assert.Equal(1.0, done.GetProperty("progress").GetDouble());
        Assert.Equal(8L * 1024 * 1024, done.GetProperty("bytesTransferred").GetInt64());
        Assert.Equal([secondId], limited.EnumerateArray().Select(t => t.GetProperty("id").GetString()));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Send_ReceiverKilledMidway_ResumeCompletesFromAcknowledgedOffset()
    {
        await using var a = await HostProcess.StartAsync(settings: ["--Plugins:http:Config:throttle_bytes_per_second=8388608", "--Plugins:http:Config:max_retries=1"]);
        var dataB = Directory.CreateTempSubdirectory("ft-host-b-").FullName;
        var b = await HostProcess.StartAsync(dataB);
        var portB = new Uri(b.BaseUrl).Port;
        using var onA = a.Client(await a.LoginAsync());
        var tokenB = await b.LoginAsync();
        const long size = 48L * 1024 * 1024;
        var fileId = await PutAsync(onA, "resumed.bin", size, seed: 9);

        using var start = await onA.PostAsJsonAsync("/v1/transfers", new { fileId, destination = b.BaseUrl, destinationToken = tokenB });
        var transferId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var acknowledged = await WaitForAsync(onA, transferId, t => t.GetProperty("bytesTransferred").GetInt64() > 4 * 1024 * 1024);
        b.Kill();
        await b.DisposeAsync();
        var failed = await WaitForAsync(onA, transferId, t => t.GetProperty("status").GetString() is "failed");

        // B kept its upload on disk but signed everyone out, so the resume brings a fresh token for it.
        await using var b2 = await HostProcess.StartAsync(dataB, portB);
        var tokenB2 = await b2.LoginAsync();
        using var resume = await onA.PostAsJsonAsync($"/v1/transfers/{transferId}/resume", new { destinationToken = tokenB2 });
        var resumed = await resume.Content.ReadFromJsonAsync<JsonElement>();
        var done = await WaitForAsync(onA, transferId, t => t.GetProperty("status").GetString() is "completed" or "failed");
        using var onB = b2.Client(tokenB2);
        var received = await FindAsync(onB, "resumed.bin");

        Assert.Contains("127.0.0.1", failed.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.OK, resume.StatusCode);
        Assert.True(
            resumed.GetProperty("bytesTransferred").GetInt64() >= acknowledged.GetProperty("bytesTransferred").GetInt64(),
            $"the resume started at byte {resumed.GetProperty("bytesTransferred")}, before the {acknowledged.GetProperty("bytesTransferred")} bytes B had acknowledged");
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(Payload.Sha256Of(size, seed: 9), received.GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task Send_AToB_AuditLogHasStartAndEndWithRequestUserAndTransferIds()
    {
        await using var a = await HostProcess.StartAsync();
        await using var b = await HostProcess.StartAsync();
        using var onA = a.Client(await a.LoginAsync());
        var tokenB = await b.LoginAsync();
        var fileId = await PutAsync(onA, "audited.bin", 3L * 1024 * 1024, seed: 3);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/transfers")
        {
            Content = JsonContent.Create(new { fileId, destination = b.BaseUrl, destinationToken = tokenB }),
            Headers = { { "X-Request-Id", "req-audit-1" } },
        };
        using var start = await onA.SendAsync(request);
        var transferId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await ReadEventsAsync(onA, transferId);
        var records = await AuditRecordsAsync(a, transferId, "transfer.completed");

        var started = Assert.Single(records, r => r.GetProperty("event").GetString() == "transfer.started");
        Assert.Equal("req-audit-1", started.GetProperty("requestId").GetString());
        Assert.False(string.IsNullOrEmpty(started.GetProperty("userId").GetString()));
        Assert.Single(records, r => r.GetProperty("event").GetString() == "transfer.completed");
    }

    [Fact]
    public async Task Cancel_ThenResume_StopsAndThenCompletesWithSameSha256()
    {
        await using var a = await HostProcess.StartAsync(settings: ["--Plugins:http:Config:throttle_bytes_per_second=4194304"]);
        await using var b = await HostProcess.StartAsync();
        using var onA = a.Client(await a.LoginAsync());
        var tokenB = await b.LoginAsync();
        const long size = 32L * 1024 * 1024;
        var fileId = await PutAsync(onA, "cancelled.bin", size, seed: 11);

        using var start = await onA.PostAsJsonAsync("/v1/transfers", new { fileId, destination = b.BaseUrl, destinationToken = tokenB });
        var transferId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await WaitForAsync(onA, transferId, t => t.GetProperty("bytesTransferred").GetInt64() > 0);
        using var cancel = await onA.PostAsync($"/v1/transfers/{transferId}/cancel", null);
        var cancelled = await cancel.Content.ReadFromJsonAsync<JsonElement>();
        using var again = await onA.PostAsync($"/v1/transfers/{transferId}/cancel", null);
        using var resume = await onA.PostAsync($"/v1/transfers/{transferId}/resume", null);
        var done = await WaitForAsync(onA, transferId, t => t.GetProperty("status").GetString() is "completed" or "failed");
        using var onB = b.Client(tokenB);
        var received = await FindAsync(onB, "cancelled.bin");

        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.True(cancelled.GetProperty("bytesTransferred").GetInt64() < size);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, resume.StatusCode);
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(Payload.Sha256Of(size, seed: 11), received.GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task Transfer_UnknownId_Is404()
    {
        await using var a = await HostProcess.StartAsync();
        using var onA = a.Client(await a.LoginAsync());

        using var response = await onA.GetAsync("/v1/transfers/nope");
        using var events = await onA.GetAsync("/v1/transfers/nope/events");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, events.StatusCode);
    }

    // The audit monitor flushes its log every second; this waits, bounded, for the record that ends the transfer.
    internal static async Task<List<JsonElement>> AuditRecordsAsync(HostProcess host, string transferId, string lastEvent, string fileName = "audit.log")
    {
        var path = Path.Combine(host.DataDir, fileName);
        using var deadline = new CancellationTokenSource(HostProcess.Timeout);
        while (true)
        {
            var records = File.Exists(path)
                ? (await File.ReadAllLinesAsync(path, deadline.Token))
                    .Select(line => JsonDocument.Parse(line).RootElement.Clone())
                    .Where(r => r.GetProperty("transferId").GetString() == transferId)
                    .ToList()
                : [];
            if (records.Any(r => r.GetProperty("event").GetString() == lastEvent))
            {
                return records;
            }

            await Task.Delay(200, deadline.Token);
        }
    }

    internal static async Task<string> PutAsync(HttpClient client, string name, long size, int seed)
    {
        using var put = await client.PutAsync($"/v1/files/{name}", new StreamContent(new Payload(size, seed)));
        put.EnsureSuccessStatusCode();
        return (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> FindAsync(HttpClient client, string name)
    {
        var page = await client.GetFromJsonAsync<JsonElement>($"/v1/files?prefix={name}");
        return page.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("name").GetString() == name);
    }

    private static async Task<string> StartToSelfAsync(HttpClient client, HostProcess host, string fileId, string token)
    {
        using var start = await client.PostAsJsonAsync("/v1/transfers", new { fileId, destination = host.BaseUrl, destinationToken = token });
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        return (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    // Polls GET /v1/transfers until the transfer is listed in the state asked for.
    private static async Task<JsonElement> ListedAsync(HttpClient client, string transferId, Func<JsonElement, bool> condition)
    {
        using var deadline = new CancellationTokenSource(HostProcess.Timeout);
        while (true)
        {
            var listed = (await client.GetFromJsonAsync<JsonElement>("/v1/transfers", deadline.Token)).GetProperty("transfers")
                .EnumerateArray().Where(t => t.GetProperty("id").GetString() == transferId).ToList();
            if (listed is [var transfer] && condition(transfer))
            {
                return transfer.Clone();
            }

            await Task.Delay(50, deadline.Token);
        }
    }

    private static async Task<JsonElement> WaitForAsync(HttpClient client, string transferId, Func<JsonElement, bool> condition)
    {
        using var deadline = new CancellationTokenSource(HostProcess.Timeout);
        while (true)
        {
            var transfer = await client.GetFromJsonAsync<JsonElement>($"/v1/transfers/{transferId}", deadline.Token);
            if (condition(transfer))
            {
                return transfer;
            }

            await Task.Delay(50, deadline.Token);
        }
    }

    internal static async Task<List<JsonElement>> ReadEventsAsync(HttpClient client, string transferId)
    {
        using var deadline = new CancellationTokenSource(HostProcess.Timeout);
        using var response = await client.GetAsync($"/v1/transfers/{transferId}/events", HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await using var body = await response.Content.ReadAsStreamAsync(deadline.Token);
        var events = new List<JsonElement>();
        await foreach (var sse in SseParser.Create(body).EnumerateAsync(deadline.Token))
        {
            Assert.Equal("progress", sse.EventType);
            events.Add(JsonDocument.Parse(sse.Data).RootElement.Clone());
        }

        return events;
    }
}
