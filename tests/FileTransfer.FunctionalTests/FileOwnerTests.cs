using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// Files have owners (a real host, UsersFileAuth deciding through Authorize): each user lists, downloads, deletes and
/// sends only their own files, and meets another user's file as a 404; admins see and manage all; a file from before
/// owners existed belongs to the admins.
/// </summary>
public sealed class FileOwnerTests
{
    private static readonly TimeSpan Timeout = HostProcess.Timeout;

    [Fact]
    public async Task Files_AnotherUsersFile_Is404ToListDownloadDeleteAndSend_AdminSeesAndManagesAll()
    {
        await using var host = await HostProcess.StartAsync();
        await AuthApiTests.AddUserAsync(host, "alice", "writer", "alices-password").WaitAsync(Timeout);
        await AuthApiTests.AddUserAsync(host, "bob", "writer", "bobs-password").WaitAsync(Timeout);
        using var alice = host.Client(await host.LoginAsync("alice", "alices-password").WaitAsync(Timeout));
        using var bob = host.Client(await host.LoginAsync("bob", "bobs-password").WaitAsync(Timeout));
        using var admin = host.Client(await host.LoginAsync().WaitAsync(Timeout));
        var aliceBytes = RandomNumberGenerator.GetBytes(200_000);
        var bobBytes = RandomNumberGenerator.GetBytes(150_000);

        var aliceFile = await UploadAsync(alice, "alice.bin", aliceBytes);
        var bobFile = await UploadAsync(bob, "bob.bin", bobBytes);
        var aliceId = aliceFile.GetProperty("id").GetString()!;
        var bobId = bobFile.GetProperty("id").GetString()!;
        var aliceList = await NamesAsync(alice);
        var bobList = await NamesAsync(bob);
        var adminList = await NamesAsync(admin);
        using var bobGets = await bob.GetAsync($"/v1/files/{aliceId}").WaitAsync(Timeout);
        using var bobHeads = await bob.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v1/files/{aliceId}")).WaitAsync(Timeout);
        using var bobRange = await bob.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/v1/files/{aliceId}") { Headers = { Range = new RangeHeaderValue(0, 99) } }).WaitAsync(Timeout);
        using var bobDeletes = await bob.DeleteAsync($"/v1/files/{aliceId}").WaitAsync(Timeout);
        using var bobSends = await bob.PostAsJsonAsync("/v1/transfers", new { fileId = aliceId, destination = "http://127.0.0.1:9" }).WaitAsync(Timeout);
        var problem = await bobGets.Content.ReadFromJsonAsync<JsonElement>().WaitAsync(Timeout);
        var aliceStill = await alice.GetByteArrayAsync($"/v1/files/{aliceId}").WaitAsync(Timeout);
        var adminReadsBob = await admin.GetByteArrayAsync($"/v1/files/{bobId}").WaitAsync(Timeout);
        using var adminDeletesAlice = await admin.DeleteAsync($"/v1/files/{aliceId}").WaitAsync(Timeout);
        using var aliceAfter = await alice.GetAsync($"/v1/files/{aliceId}").WaitAsync(Timeout);

        Assert.Equal(["alice.bin"], aliceList);
        Assert.Equal(["bob.bin"], bobList);
        Assert.Equal(["alice.bin", "bob.bin"], adminList);
        Assert.NotEqual(aliceFile.GetProperty("owner").GetString(), bobFile.GetProperty("owner").GetString());
        Assert.False(string.IsNullOrEmpty(aliceFile.GetProperty("owner").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, bobGets.StatusCode);
        Assert.Equal("not_found", problem.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.NotFound, bobHeads.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, bobRange.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, bobDeletes.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, bobSends.StatusCode);
        Assert.Equal(SHA256.HashData(aliceBytes), SHA256.HashData(aliceStill));
        Assert.Equal(SHA256.HashData(bobBytes), SHA256.HashData(adminReadsBob));
        Assert.Equal(HttpStatusCode.NoContent, adminDeletesAlice.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, aliceAfter.StatusCode);
    }

    [Fact]
    public async Task Files_ResumableUpload_BelongsToTheUserWhoStartedIt()
    {
        await using var host = await HostProcess.StartAsync();
        await AuthApiTests.AddUserAsync(host, "alice", "writer", "alices-password").WaitAsync(Timeout);
        await AuthApiTests.AddUserAsync(host, "bob", "writer", "bobs-password").WaitAsync(Timeout);
        using var alice = host.Client(await host.LoginAsync("alice", "alices-password").WaitAsync(Timeout));
        using var bob = host.Client(await host.LoginAsync("bob", "bobs-password").WaitAsync(Timeout));
        var content = RandomNumberGenerator.GetBytes(70_000);

        // The client names an owner of its own choosing: the host ignores it.
        using var created = await alice.PostAsJsonAsync("/v1/uploads", new { name = "resumed.bin", size = content.Length, owner = "someone-else" }).WaitAsync(Timeout);
        var uploadId = (await created.Content.ReadFromJsonAsync<JsonElement>().WaitAsync(Timeout)).GetProperty("uploadId").GetString()!;
        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/v1/uploads/{uploadId}") { Content = new ByteArrayContent(content), Headers = { { "Upload-Offset", "0" } } };
        using var patched = await alice.SendAsync(patch).WaitAsync(Timeout);
        using var completed = await alice.PostAsync($"/v1/uploads/{uploadId}/complete", null).WaitAsync(Timeout);
        var file = await completed.Content.ReadFromJsonAsync<JsonElement>().WaitAsync(Timeout);
        var id = file.GetProperty("id").GetString()!;
        var back = await alice.GetByteArrayAsync($"/v1/files/{id}").WaitAsync(Timeout);
        using var bobGets = await bob.GetAsync($"/v1/files/{id}").WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, patched.StatusCode);
        Assert.Equal(HttpStatusCode.Created, completed.StatusCode);
        Assert.NotEqual("someone-else", file.GetProperty("owner").GetString());
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(back));
        Assert.Equal(["resumed.bin"], await NamesAsync(alice));
        Assert.Empty(await NamesAsync(bob));
        Assert.Equal(HttpStatusCode.NotFound, bobGets.StatusCode);
    }

    [Fact]
    public async Task Files_FromADatabaseMadeBeforeOwners_BelongToTheAdmins()
    {
        var dataDir = Directory.CreateTempSubdirectory("ft-owners-").FullName;
        var content = RandomNumberGenerator.GetBytes(100_000);
        string id;
        await using (var first = await HostProcess.StartAsync(dataDir))
        {
            using var admin = first.Client(await first.LoginAsync().WaitAsync(Timeout));
            id = (await UploadAsync(admin, "old.bin", content)).GetProperty("id").GetString()!;
        }

        // The metadata database as FileSystemStorage made it before owners: no owner column at all.
        using (var db = new SqliteConnection($"Data Source={Path.Combine(dataDir, "files", "metadata.db")};Pooling=False"))
        {
            db.Open();
            using var drop = db.CreateCommand();
            drop.CommandText = "ALTER TABLE objects DROP COLUMN owner";
            drop.ExecuteNonQuery();
        }

        await using var host2 = await HostProcess.StartAsync(dataDir);
        await AuthApiTests.AddUserAsync(host2, "alice", "writer", "alices-password").WaitAsync(Timeout);
        using var alice = host2.Client(await host2.LoginAsync("alice", "alices-password").WaitAsync(Timeout));
        using var admin2 = host2.Client(await host2.LoginAsync().WaitAsync(Timeout));

        var aliceList = await NamesAsync(alice);
        using var aliceGets = await alice.GetAsync($"/v1/files/{id}").WaitAsync(Timeout);
        using var aliceDeletes = await alice.DeleteAsync($"/v1/files/{id}").WaitAsync(Timeout);
        var adminPage = await admin2.GetFromJsonAsync<JsonElement>("/v1/files").WaitAsync(Timeout);
        var adminReads = await admin2.GetByteArrayAsync($"/v1/files/{id}").WaitAsync(Timeout);

        Assert.Empty(aliceList);
        Assert.Equal(HttpStatusCode.NotFound, aliceGets.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, aliceDeletes.StatusCode);
        var item = Assert.Single(adminPage.GetProperty("items").EnumerateArray());
        Assert.Equal("old.bin", item.GetProperty("name").GetString());
        Assert.Equal(string.Empty, item.GetProperty("owner").GetString());
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(adminReads));
    }

    [Fact]
    public async Task Files_PythonStorageSidecarWithoutOwner_BelongsToTheAdmins()
    {
        var dataDir = Directory.CreateTempSubdirectory("ft-owners-py-").FullName;
        var root = Path.Combine(dataDir, "pyfiles");
        string[] settings = [$"--Plugins:files:Command={PythonPlugins.Launcher("PythonStorage")}", $"--Plugins:files:Config:root={root}", .. PythonPlugins.SandboxReads("files")];
        await PythonPlugins.BuildAsync("PythonStorage");
        var content = RandomNumberGenerator.GetBytes(50_000);
        string id;
        await using (var first = await HostProcess.StartAsync(dataDir, null, settings))
        {
            using var admin = first.Client(await first.LoginAsync().WaitAsync(Timeout));
            var stored = await UploadAsync(admin, "old-py.bin", content);
            id = stored.GetProperty("id").GetString()!;
            Assert.False(string.IsNullOrEmpty(stored.GetProperty("owner").GetString()));
        }

        // The sidecar as PythonStorage wrote it before owners: no "owner" key.
        var sidecar = Path.Combine(root, "objects", id + ".json");
        var record = JsonNode.Parse(await File.ReadAllTextAsync(sidecar))!.AsObject();
        Assert.True(record.Remove("owner"), "The sidecar did not hold the owner.");
        await File.WriteAllTextAsync(sidecar, record.ToJsonString());

        await using var host = await HostProcess.StartAsync(dataDir, null, settings);
        await AuthApiTests.AddUserAsync(host, "alice", "writer", "alices-password").WaitAsync(Timeout);
        using var alice = host.Client(await host.LoginAsync("alice", "alices-password").WaitAsync(Timeout));
        using var admin2 = host.Client(await host.LoginAsync().WaitAsync(Timeout));

        using var aliceGets = await alice.GetAsync($"/v1/files/{id}").WaitAsync(Timeout);
        var adminReads = await admin2.GetByteArrayAsync($"/v1/files/{id}").WaitAsync(Timeout);

        Assert.Empty(await NamesAsync(alice));
        Assert.Equal(HttpStatusCode.NotFound, aliceGets.StatusCode);
        Assert.Equal(["old-py.bin"], await NamesAsync(admin2));
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(adminReads));
    }

    private static async Task<JsonElement> UploadAsync(HttpClient client, string name, byte[] content)
    {
        using var put = await client.PutAsync($"/v1/files/{name}", new ByteArrayContent(content)).WaitAsync(Timeout);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        return await put.Content.ReadFromJsonAsync<JsonElement>().WaitAsync(Timeout);
    }

    private static async Task<List<string>> NamesAsync(HttpClient client)
    {
        var page = await client.GetFromJsonAsync<JsonElement>("/v1/files").WaitAsync(Timeout);
        return [.. page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()!).Order(StringComparer.Ordinal)];
    }
}
