using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// examples/plugins/PythonShareLinks (a route plugin in Python, grpcio) in a real file-transfer host: a user shares
/// one of their files, anyone with the link downloads it (streamed through the host callback files.read, Range
/// supported), links expire and can be revoked by an admin, and a user cannot share another user's file.
/// </summary>
public sealed class ShareLinksPluginTests
{
    private static readonly TimeSpan Timeout = HostProcess.Timeout;

    private static string Launcher => PythonPlugins.Launcher("PythonShareLinks");

    /// <summary>
    /// The settings that add the plugin as "shares", with the host callbacks it needs, confined as the host's example
    /// plugins are: it keeps its links through the kv callback, so it writes no file and needs no network.
    /// </summary>
    internal static string[] Settings =>
    [
        $"--Plugins:shares:Command={Launcher}",
        "--Plugins:shares:Services:0=grpcplugins.http.v1.RouteService",
        "--Plugins:shares:HostCallbacks:0=files.read",
        "--Plugins:shares:HostCallbacks:1=kv",
        "--Plugins:shares:Sandbox:MemoryMiB=512",
        "--Plugins:shares:Sandbox:MaxProcesses=256",
        "--Plugins:shares:Sandbox:MaxOpenFiles=4096",
        "--Plugins:shares:Sandbox:ConfineFiles=true",
        "--Plugins:shares:Sandbox:Network=None",
        .. PythonPlugins.SandboxReads("shares"),
    ];

    [Fact]
    public async Task ShareLink_CreateDownloadRangeListRevoke()
    {
        await PythonPlugins.BuildAsync("PythonShareLinks");
        await using var host = await HostProcess.StartAsync(null, null, Settings);
        await AuthApiTests.AddUserAsync(host, "alice", "writer", "alices-password").WaitAsync(Timeout);
        using var alice = host.Client(await host.LoginAsync("alice", "alices-password").WaitAsync(Timeout));
        using var admin = host.Client(await host.LoginAsync().WaitAsync(Timeout));
        using var anonymous = new HttpClient { BaseAddress = new Uri(host.BaseUrl), Timeout = Timeout };
        var content = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 123);
        var fileId = await UploadAsync(alice, "shared.bin", content);

        var link = await CreateAsync(alice, fileId, ttlSeconds: 3600);
        var url = link.GetProperty("url").GetString()!;
        using var whole = await anonymous.GetAsync(url).WaitAsync(Timeout);
        var wholeBytes = await whole.Content.ReadAsByteArrayAsync().WaitAsync(Timeout);
        using var part = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Range = new RangeHeaderValue(1_000_000, 1_099_999) } }).WaitAsync(Timeout);
        var partBytes = await part.Content.ReadAsByteArrayAsync().WaitAsync(Timeout);
        using var tail = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Range = new RangeHeaderValue(null, 500) } }).WaitAsync(Timeout);
        var tailBytes = await tail.Content.ReadAsByteArrayAsync().WaitAsync(Timeout);
        using var beyond = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Range = new RangeHeaderValue(content.Length + 10, null) } }).WaitAsync(Timeout);
        using var aliceLists = await alice.GetAsync("/v1/ext/share-links").WaitAsync(Timeout);
        var listed = await admin.GetFromJsonAsync<JsonElement>("/v1/ext/share-links").WaitAsync(Timeout);
        using var revoke = await admin.DeleteAsync($"/v1/ext/share-links/{link.GetProperty("id").GetString()}").WaitAsync(Timeout);
        using var afterRevoke = await anonymous.GetAsync(url).WaitAsync(Timeout);
        var afterRevokeProblem = await afterRevoke.Content.ReadFromJsonAsync<JsonElement>().WaitAsync(Timeout);
        using var revokeAgain = await admin.DeleteAsync($"/v1/ext/share-links/{link.GetProperty("id").GetString()}").WaitAsync(Timeout);

        Assert.StartsWith("/v1/ext/shares/", url, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(wholeBytes));
        Assert.Equal("shared.bin", whole.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal($"bytes 1000000-1099999/{content.Length}", part.Content.Headers.ContentRange?.ToString());
        Assert.Equal(SHA256.HashData(content.AsSpan(1_000_000, 100_000)), SHA256.HashData(partBytes));
        Assert.Equal(HttpStatusCode.PartialContent, tail.StatusCode);
        Assert.Equal(content.AsSpan(content.Length - 500).ToArray(), tailBytes);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, beyond.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, aliceLists.StatusCode);
        var entry = Assert.Single(listed.GetProperty("links").EnumerateArray());
        Assert.Equal(fileId, entry.GetProperty("fileId").GetString());
        Assert.Equal("shared.bin", entry.GetProperty("name").GetString());
        Assert.False(entry.GetProperty("expired").GetBoolean());
        Assert.DoesNotContain(link.GetProperty("token").GetString()!, listed.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, afterRevoke.StatusCode);
        Assert.Equal("not_found", afterRevokeProblem.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.NotFound, revokeAgain.StatusCode);
    }

    [Fact]
    public async Task ShareLink_AnotherUsersFile_IsRefused_AnAdminMayShareIt()
    {
        await PythonPlugins.BuildAsync("PythonShareLinks");
        await using var host = await HostProcess.StartAsync(null, null, Settings);
        await AuthApiTests.AddUserAsync(host, "alice", "writer", "alices-password").WaitAsync(Timeout);
        await AuthApiTests.AddUserAsync(host, "bob", "writer", "bobs-password").WaitAsync(Timeout);
        using var alice = host.Client(await host.LoginAsync("alice", "alices-password").WaitAsync(Timeout));
        using var bob = host.Client(await host.LoginAsync("bob", "bobs-password").WaitAsync(Timeout));
        using var admin = host.Client(await host.LoginAsync().WaitAsync(Timeout));
        using var anonymous = new HttpClient { BaseAddress = new Uri(host.BaseUrl), Timeout = Timeout };
        var content = RandomNumberGenerator.GetBytes(40_000);
        var fileId = await UploadAsync(alice, "alices.bin", content);

        using var bobShares = await bob.PostAsJsonAsync("/v1/ext/shares", new { fileId }).WaitAsync(Timeout);
        var problem = await bobShares.Content.ReadFromJsonAsync<JsonElement>().WaitAsync(Timeout);
        using var nobodyShares = await anonymous.PostAsJsonAsync("/v1/ext/shares", new { fileId }).WaitAsync(Timeout);
        var adminLink = await CreateAsync(admin, fileId, ttlSeconds: 600);
        var back = await anonymous.GetByteArrayAsync(adminLink.GetProperty("url").GetString()).WaitAsync(Timeout);
        var listed = await admin.GetFromJsonAsync<JsonElement>("/v1/ext/share-links").WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.NotFound, bobShares.StatusCode);
        Assert.Equal("not_found", problem.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, nobodyShares.StatusCode);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(back));
        Assert.Single(listed.GetProperty("links").EnumerateArray());
    }

    [Fact]
    public async Task ShareLink_PastItsTtl_Answers410()
    {
        await PythonPlugins.BuildAsync("PythonShareLinks");
        await using var host = await HostProcess.StartAsync(null, null, Settings);
        using var admin = host.Client(await host.LoginAsync().WaitAsync(Timeout));
        using var anonymous = new HttpClient { BaseAddress = new Uri(host.BaseUrl), Timeout = Timeout };
        var fileId = await UploadAsync(admin, "brief.txt", "soon gone"u8.ToArray());

        var url = (await CreateAsync(admin, fileId, ttlSeconds: 1)).GetProperty("url").GetString()!;
        // A one-second link: poll, bounded, until it has expired.
        HttpStatusCode status;
        var deadline = DateTime.UtcNow + Timeout;
        do
        {
            await Task.Delay(250);
            using var attempt = await anonymous.GetAsync(url).WaitAsync(Timeout);
            status = attempt.StatusCode;
        }
        while (status == HttpStatusCode.OK && DateTime.UtcNow < deadline);
        var listed = await admin.GetFromJsonAsync<JsonElement>("/v1/ext/share-links").WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.Gone, status);
        Assert.True(Assert.Single(listed.GetProperty("links").EnumerateArray()).GetProperty("expired").GetBoolean());
    }

    [Fact]
    public async Task ShareLink_SurvivesThePluginsRestart()
    {
        await PythonPlugins.BuildAsync("PythonShareLinks");
        await using var host = await HostProcess.StartAsync(null, null, Settings);
        var adminToken = await host.LoginAsync().WaitAsync(Timeout);
        using var admin = host.Client(adminToken);
        using var anonymous = new HttpClient { BaseAddress = new Uri(host.BaseUrl), Timeout = Timeout };
        var content = RandomNumberGenerator.GetBytes(100_000);
        var fileId = await UploadAsync(admin, "kept.bin", content);
        var url = (await CreateAsync(admin, fileId, ttlSeconds: 3600)).GetProperty("url").GetString()!;
        var before = await host.PluginPidAsync(adminToken, "shares").WaitAsync(Timeout);

        using (var kill = System.Diagnostics.Process.Start("kill", ["-KILL", before.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync().WaitAsync(Timeout);
        }

        // The host restarts the plugin; the link is in the host's key-value store, not in the dead process.
        byte[]? back = null;
        var deadline = DateTime.UtcNow + Timeout;
        while (back is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            using var attempt = await anonymous.GetAsync(url).WaitAsync(Timeout);
            if (attempt.StatusCode == HttpStatusCode.OK)
            {
                back = await attempt.Content.ReadAsByteArrayAsync().WaitAsync(Timeout);
            }
        }

        var after = await host.PluginPidAsync(adminToken, "shares").WaitAsync(Timeout);
        Assert.NotEqual(before, after);
        Assert.NotNull(back);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(back));
    }

    private static async Task<string> UploadAsync(HttpClient client, string name, byte[] content)
    {
        using var put = await client.PutAsync($"/v1/files/{name}", new ByteArrayContent(content)).WaitAsync(Timeout);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        return (await put.Content.ReadFromJsonAsync<JsonElement>().WaitAsync(Timeout)).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> CreateAsync(HttpClient client, string fileId, int ttlSeconds)
    {
        using var created = await client.PostAsJsonAsync("/v1/ext/shares", new { fileId, ttlSeconds }).WaitAsync(Timeout);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>().WaitAsync(Timeout);
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"Creating the link answered {(int)created.StatusCode}: {body}");
        return body;
    }
}
