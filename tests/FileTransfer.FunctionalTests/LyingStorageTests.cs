using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// The host with a storage plugin that lies (the test plugin's "liar" mode): each lie reaches the client as a typed
/// problem answer (502 for a broken reply, 404 for an id that does not exist), never a 500 or a stack trace, and
/// the host keeps serving.
/// </summary>
public sealed class LyingStorageTests
{
    private static string TestPluginDll => Path.Combine(HostProcess.RepoRoot, "tests", "GrpcPlugins.TestPlugin", "bin", HostProcess.Configuration, "net10.0", "GrpcPlugins.TestPlugin.dll");

    [Fact]
    public async Task Api_StoragePluginLies_EachLieIsATypedProblemAndHostKeepsServing()
    {
        // The lies are in gRPC messages (a chunk over the message limit among them), so the content goes in them too.
        await using var host = await HostProcess.StartAsync(null, null, $"--Plugins:files:Command={TestPluginDll}", "--Plugins:files:Args:0=liar", "--Plugins:files:DataChannel=false");
        using var client = host.Client(await host.LoginAsync());

        using var noId = await client.PutAsync("/v1/files/no-id", new ByteArrayContent(new byte[100]));
        await AssertProblemAsync(noId, HttpStatusCode.BadGateway, "internal", "answered Store without an id");
        using var nonsense = await client.GetAsync("/v1/files?prefix=nonsense");
        await AssertProblemAsync(nonsense, HttpStatusCode.BadGateway, "internal", "answered List with item 1");
        foreach (var id in new[] { "chunk-first", "nothing", "negative-size", "huge-chunk", "metadata-twice" })
        {
            using var get = await client.GetAsync($"/v1/files/{id}");
            await AssertProblemAsync(get, HttpStatusCode.BadGateway, "internal", "Plugin 'files'");
        }

        using var badStatus = await client.DeleteAsync("/v1/files/bad-status");
        await AssertProblemAsync(badStatus, HttpStatusCode.BadGateway, "internal", "failed with gRPC status Internal: garbled");
        using var badDetail = await client.DeleteAsync("/v1/files/bad-detail");
        await AssertProblemAsync(badDetail, HttpStatusCode.NotFound, "not_found", "detail is garbage");

        using var ghostPut = await client.PutAsync("/v1/files/ghost", new ByteArrayContent(new byte[100]));
        var ghostId = (await ghostPut.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        using var ghostGet = await client.GetAsync($"/v1/files/{ghostId}");
        await AssertProblemAsync(ghostGet, HttpStatusCode.NotFound, "not_found", ghostId!);
        using var ghostDelete = await client.DeleteAsync($"/v1/files/{ghostId}");
        await AssertProblemAsync(ghostDelete, HttpStatusCode.NotFound, "not_found", ghostId!);

        // After every lie the same plugin still stores and returns bytes intact.
        var content = RandomNumberGenerator.GetBytes(300_000);
        using var put = await client.PutAsync("/v1/files/honest.bin", new ByteArrayContent(content));
        var storedId = (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        var back = await client.GetByteArrayAsync($"/v1/files/{storedId}");
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(back));
        Assert.DoesNotContain("failed unexpectedly", host.Output);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code, string message)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(text);
        Assert.Equal((int)status, body.RootElement.GetProperty("status").GetInt32());
        Assert.Equal(code, body.RootElement.GetProperty("code").GetString());
        Assert.Contains(message, body.RootElement.GetProperty("message").GetString());
        Assert.DoesNotContain(" at ", text);
    }
}
