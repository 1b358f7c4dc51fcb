using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace FileTransfer.FunctionalTests;

/// <summary>The file API of a real host with its default plugins, as a client sees it.</summary>
public sealed class FilesApiTests(SharedHost shared) : IClassFixture<SharedHost>
{
    [Fact]
    public async Task Put_200MiB_GetReturnsSameSha256AndRangesWork()
    {
        var host = shared.Host;
        using var client = host.Client(await host.LoginAsync());
        const long size = 200L * 1024 * 1024;

        using var put = await client.PutAsync("/v1/files/big.bin", new StreamContent(new Payload(size, seed: 1)));
        var file = await put.Content.ReadFromJsonAsync<JsonElement>();
        var id = file.GetProperty("id").GetString();
        using var get = await client.GetAsync($"/v1/files/{id}", HttpCompletionOption.ResponseHeadersRead);
        var downloaded = await Payload.Sha256Async(await get.Content.ReadAsStreamAsync());
        using var rangeRequest = new HttpRequestMessage(HttpMethod.Get, $"/v1/files/{id}") { Headers = { Range = new RangeHeaderValue(1000, 1099) } };
        using var range = await client.SendAsync(rangeRequest);
        using var suffixRequest = new HttpRequestMessage(HttpMethod.Get, $"/v1/files/{id}") { Headers = { Range = new RangeHeaderValue(null, 10) } };
        using var suffix = await client.SendAsync(suffixRequest);
        using var beyondRequest = new HttpRequestMessage(HttpMethod.Get, $"/v1/files/{id}") { Headers = { Range = new RangeHeaderValue(size, null) } };
        using var beyond = await client.SendAsync(beyondRequest);
        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v1/files/{id}"));

        var expected = Payload.Sha256Of(size, seed: 1);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(size, file.GetProperty("size").GetInt64());
        Assert.Equal(expected, file.GetProperty("sha256").GetString());
        Assert.Equal(expected, downloaded);
        Assert.Equal(HttpStatusCode.PartialContent, range.StatusCode);
        Assert.Equal($"bytes 1000-1099/{size}", range.Content.Headers.ContentRange!.ToString());
        Assert.Equal(Payload.Slice(1000, 100, seed: 1), await range.Content.ReadAsByteArrayAsync());
        Assert.Equal(Payload.Slice(size - 10, 10, seed: 1), await suffix.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, beyond.StatusCode);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(size, head.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task ListStatsDelete_SeeWhatWasStored()
    {
        var host = shared.Host;
        using var client = host.Client(await host.LoginAsync());
        var before = await StoredCountAsync(client);
        var ids = new List<string>();
        foreach (var name in new[] { "a-1.txt", "a-2.txt", "b-1.txt" })
        {
            using var put = await client.PutAsync($"/v1/files/{name}", new StringContent("hello " + name));
            ids.Add((await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        }

        var page1 = await client.GetFromJsonAsync<JsonElement>("/v1/files?prefix=a-&limit=1");
        var page2 = await client.GetFromJsonAsync<JsonElement>($"/v1/files?prefix=a-&limit=1&pageToken={Uri.EscapeDataString(page1.GetProperty("nextPageToken").GetString()!)}");
        var stats = await client.GetFromJsonAsync<JsonElement>("/v1/stats");
        using var delete = await client.DeleteAsync($"/v1/files/{ids[0]}");
        using var gone = await client.GetAsync($"/v1/files/{ids[0]}");
        var problem = await gone.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal("a-1.txt", page1.GetProperty("items")[0].GetProperty("name").GetString());
        Assert.Equal("a-2.txt", page2.GetProperty("items")[0].GetProperty("name").GetString());
        Assert.Equal(before + 3, stats.GetProperty("totalItems").GetInt64());
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("not_found", problem.GetProperty("code").GetString());
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData("..%2F..%2Fetc%2Fpasswd")]
    [InlineData("%2e%2e%2f%2e%2e%2fdata")]
    [InlineData("a%01b")]
    [InlineData("LONG")]
    public async Task Put_BadName_Is400AndWritesNothingOutsideData(string name)
    {
        // The data folder sits alone in a fresh folder, so anything written beside it would show up there.
        var outside = shared.Outside;
        var host = shared.Host;
        using var client = host.Client(await host.LoginAsync());
        var url = name == "LONG" ? "/v1/files/" + new string('x', 300) : "/v1/files/" + name;
        var before = Directory.GetFileSystemEntries(outside).Length;
        var storedBefore = await StoredCountAsync(client);

        using var response = await client.PutAsync(url, new StringContent("root:x:0:0"));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var stats = await client.GetFromJsonAsync<JsonElement>("/v1/stats");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_argument", problem.GetProperty("code").GetString());
        Assert.Equal(storedBefore, stats.GetProperty("totalItems").GetInt64());
        Assert.Equal(before, Directory.GetFileSystemEntries(outside).Length);
    }

    // The server resolves ".." in a path, and refuses a NUL, before any route sees the name: nothing is stored either way.
    [Theory]
    [InlineData("%2E%2E", HttpStatusCode.NotFound)]
    [InlineData("a%00b", HttpStatusCode.BadRequest)]
    public async Task Put_NameTheServerRefusesBeforeRouting_StoresNothing(string name, HttpStatusCode expected)
    {
        var host = shared.Host;
        using var client = host.Client(await host.LoginAsync());
        var storedBefore = await StoredCountAsync(client);

        using var response = await client.PutAsync("/v1/files/" + name, new StringContent("root:x:0:0"));
        var stats = await client.GetFromJsonAsync<JsonElement>("/v1/stats");

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(storedBefore, stats.GetProperty("totalItems").GetInt64());
    }

    [Fact]
    public async Task Get_UnknownRoute_Is404ProblemJson()
    {
        var host = shared.Host;
        using var client = host.Client(await host.LoginAsync());

        using var response = await client.GetAsync("/v2/files");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("not_found", problem.GetProperty("code").GetString());
        Assert.Contains("/v2/files", problem.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Put_EmptyName_IsNotAFileRoute()
    {
        var host = shared.Host;
        using var client = host.Client(await host.LoginAsync());

        using var response = await client.PutAsync("/v1/files/%20", new StringContent("x"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Request_WithRequestId_EchoesItAndMakesOneOtherwise()
    {
        var host = shared.Host;
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/stats") { Headers = { { "X-Request-Id", "req-456" } } };

        using var given = await host.Http.SendAsync(request);
        using var made = await host.Http.GetAsync("/v1/stats");

        Assert.Equal("req-456", given.Headers.GetValues("X-Request-Id").Single());
        Assert.Matches("^[0-9a-f]{32}$", made.Headers.GetValues("X-Request-Id").Single());
    }

    [Fact]
    public async Task TransfersAndStats_TwoUsers_EachSeesOnlyTheirOwnAndAdminSeesBoth()
    {
        // Arrange: two users each store a file and send it (to a closed port: the transfer is recorded, then fails).
        var host = shared.Host;
        var timeout = HostProcess.Timeout;
        await AuthApiTests.AddUserAsync(host, "sender-alice", "writer", "alices-password").WaitAsync(timeout);
        await AuthApiTests.AddUserAsync(host, "sender-bob", "writer", "bobs-password").WaitAsync(timeout);
        using var alice = host.Client(await host.LoginAsync("sender-alice", "alices-password").WaitAsync(timeout));
        using var bob = host.Client(await host.LoginAsync("sender-bob", "bobs-password").WaitAsync(timeout));
        using var admin = host.Client(await host.LoginAsync().WaitAsync(timeout));
        var aliceFile = await PutAsync(alice, "alice-sends.bin", 1234);
        var bobFile = await PutAsync(bob, "bob-sends.bin", 4321);
        var aliceTransfer = await SendAsync(alice, aliceFile.GetProperty("id").GetString()!);
        var bobTransfer = await SendAsync(bob, bobFile.GetProperty("id").GetString()!);

        // Act
        var aliceList = await TransferIdsAsync(alice);
        var bobList = await TransferIdsAsync(bob);
        var adminList = await TransferIdsAsync(admin);
        var aliceOwn = await alice.GetFromJsonAsync<JsonElement>($"/v1/transfers/{aliceTransfer}").WaitAsync(timeout);
        var adminSeesBobs = await admin.GetFromJsonAsync<JsonElement>($"/v1/transfers/{bobTransfer}").WaitAsync(timeout);
        using var aliceGetsBobs = await alice.GetAsync($"/v1/transfers/{bobTransfer}").WaitAsync(timeout);
        using var aliceFollowsBobs = await alice.GetAsync($"/v1/transfers/{bobTransfer}/events", HttpCompletionOption.ResponseHeadersRead).WaitAsync(timeout);
        using var bobCancelsAlices = await bob.PostAsync($"/v1/transfers/{aliceTransfer}/cancel", null).WaitAsync(timeout);
        var problem = await aliceGetsBobs.Content.ReadFromJsonAsync<JsonElement>().WaitAsync(timeout);
        var aliceStats = await alice.GetFromJsonAsync<JsonElement>("/v1/stats").WaitAsync(timeout);
        var bobStats = await bob.GetFromJsonAsync<JsonElement>("/v1/stats").WaitAsync(timeout);
        var adminStats = await admin.GetFromJsonAsync<JsonElement>("/v1/stats").WaitAsync(timeout);
        var adminFiles = await admin.GetFromJsonAsync<JsonElement>("/v1/files?limit=1000").WaitAsync(timeout);

        // Assert
        Assert.Equal([aliceTransfer], aliceList);
        Assert.Equal([bobTransfer], bobList);
        Assert.Contains(aliceTransfer, adminList);
        Assert.Contains(bobTransfer, adminList);
        Assert.Equal(aliceFile.GetProperty("owner").GetString(), aliceOwn.GetProperty("owner").GetString());
        Assert.Equal(bobFile.GetProperty("owner").GetString(), adminSeesBobs.GetProperty("owner").GetString());
        Assert.Equal(HttpStatusCode.NotFound, aliceGetsBobs.StatusCode);
        Assert.Equal("not_found", problem.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.NotFound, aliceFollowsBobs.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, bobCancelsAlices.StatusCode);
        Assert.Equal(1, aliceStats.GetProperty("totalItems").GetInt64());
        Assert.Equal(1234, aliceStats.GetProperty("totalSize").GetInt64());
        Assert.Equal(1, bobStats.GetProperty("totalItems").GetInt64());
        Assert.Equal(4321, bobStats.GetProperty("totalSize").GetInt64());
        Assert.False(adminFiles.TryGetProperty("nextPageToken", out var next) && next.GetString() is { Length: > 0 }, "The admin's files fit one page.");
        Assert.Equal(adminFiles.GetProperty("items").GetArrayLength(), adminStats.GetProperty("totalItems").GetInt64());
        Assert.Equal(adminFiles.GetProperty("items").EnumerateArray().Sum(f => f.GetProperty("size").GetInt64()), adminStats.GetProperty("totalSize").GetInt64());

        static async Task<JsonElement> PutAsync(HttpClient client, string name, int size)
        {
            using var put = await client.PutAsync($"/v1/files/{name}", new ByteArrayContent(new byte[size])).WaitAsync(HostProcess.Timeout);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            return await put.Content.ReadFromJsonAsync<JsonElement>().WaitAsync(HostProcess.Timeout);
        }

        static async Task<string> SendAsync(HttpClient client, string fileId)
        {
            using var start = await client.PostAsJsonAsync("/v1/transfers", new { fileId, destination = "http://127.0.0.1:9" }).WaitAsync(HostProcess.Timeout);
            Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
            return (await start.Content.ReadFromJsonAsync<JsonElement>().WaitAsync(HostProcess.Timeout)).GetProperty("id").GetString()!;
        }

        static async Task<string[]> TransferIdsAsync(HttpClient client) =>
            [.. (await client.GetFromJsonAsync<JsonElement>("/v1/transfers").WaitAsync(HostProcess.Timeout)).GetProperty("transfers").EnumerateArray().Select(t => t.GetProperty("id").GetString()!)];
    }

    private static async Task<long> StoredCountAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonElement>("/v1/stats")).GetProperty("totalItems").GetInt64();
}
