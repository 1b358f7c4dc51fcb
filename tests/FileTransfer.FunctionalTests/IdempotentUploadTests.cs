using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// An upload's outcome is knowable: a PUT repeated with the same Idempotency-Key, and a resumable upload's complete
/// repeated, answer the same file and store one copy, also after the storage plugin and the host restarted.
/// </summary>
public sealed class IdempotentUploadTests
{
    private const long Size = 200 * 1024;

    [Fact]
    public async Task Put_SameIdempotencyKeyTwice_SameFileOneCopy()
    {
        await using var host = await HostProcess.StartAsync();
        using var client = host.Client(await host.LoginAsync());

        var first = await PutAsync(client, "keyed.bin", seed: 1, key: "key-1");
        var again = await PutAsync(client, "keyed.bin", seed: 1, key: "key-1");
        var other = await PutAsync(client, "keyed.bin", seed: 1, key: "key-2");
        var unkeyed = await PutAsync(client, "keyed.bin", seed: 1, key: null);

        Assert.Equal(first.Id, again.Id);
        Assert.NotEqual(first.Id, other.Id);
        Assert.NotEqual(first.Id, unkeyed.Id);
        Assert.Equal(3, await CountNamedAsync(client, "keyed.bin"));
        Assert.Equal(Payload.Sha256Of(Size, 1), again.Sha256);
    }

    [Fact]
    public async Task Put_BadIdempotencyKey_400()
    {
        await using var host = await HostProcess.StartAsync();
        using var client = host.Client(await host.LoginAsync());
        using var request = new HttpRequestMessage(HttpMethod.Put, "/v1/files/bad-key.bin") { Content = new ByteArrayContent(new byte[10]) };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", new string('k', 300));

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Idempotency-Key", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("message").GetString());
        Assert.Equal(0, await CountNamedAsync(client, "bad-key.bin"));
    }

    [Fact]
    public async Task Put_SameKeyAfterStorageKilledAndHostRestarted_SameFileOneCopy()
    {
        var dataDir = Directory.CreateTempSubdirectory("ft-idem-").FullName;
        FileRef first;
        FileRef afterKill;
        await using (var host = await HostProcess.StartAsync(dataDir))
        {
            var token = await host.LoginAsync();
            using var client = host.Client(token);
            first = await PutAsync(client, "survivor.bin", seed: 2, key: "retry-me");
            var pid = await host.PluginPidAsync(token, "files");
            using (var storage = Process.GetProcessById(pid))
            {
                storage.Kill();
            }

            afterKill = await RetryUntilCreatedAsync(client, "survivor.bin", seed: 2, key: "retry-me");
        }

        await using var restarted = await HostProcess.StartAsync(dataDir);
        using var again = restarted.Client(await restarted.LoginAsync());
        var afterRestart = await PutAsync(again, "survivor.bin", seed: 2, key: "retry-me");

        Assert.Equal(first.Id, afterKill.Id);
        Assert.Equal(first.Id, afterRestart.Id);
        Assert.Equal(1, await CountNamedAsync(again, "survivor.bin"));
        using var download = await again.GetAsync($"/v1/files/{first.Id}");
        Assert.Equal(Payload.Sha256Of(Size, 2), await Payload.Sha256Async(await download.Content.ReadAsStreamAsync()));
    }

    [Fact]
    public async Task Complete_Retried_SameFileOneCopyAlsoAfterHostRestart()
    {
        var dataDir = Directory.CreateTempSubdirectory("ft-idem-").FullName;
        string uploadId;
        JsonElement first;
        JsonElement second;
        await using (var host = await HostProcess.StartAsync(dataDir))
        {
            using var client = host.Client(await host.LoginAsync());
            using var create = await client.PostAsJsonAsync("/v1/uploads", new { name = "resumed.bin", size = Size, mimeType = "application/octet-stream" });
            Assert.Equal(HttpStatusCode.Created, create.StatusCode);
            uploadId = (await create.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("uploadId").GetString()!;
            using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/v1/uploads/{uploadId}") { Content = new StreamContent(new Payload(Size, 3)) };
            patch.Headers.Add("Upload-Offset", "0");
            using var patched = await client.SendAsync(patch);
            Assert.Equal(HttpStatusCode.NoContent, patched.StatusCode);

            first = await CompleteAsync(client, uploadId);
            second = await CompleteAsync(client, uploadId);
        }

        await using var restarted = await HostProcess.StartAsync(dataDir);
        using var again = restarted.Client(await restarted.LoginAsync());
        var third = await CompleteAsync(again, uploadId);

        Assert.Equal(first.GetProperty("id").GetString(), second.GetProperty("id").GetString());
        Assert.Equal(first.GetProperty("id").GetString(), third.GetProperty("id").GetString());
        Assert.Equal(Payload.Sha256Of(Size, 3), third.GetProperty("sha256").GetString());
        Assert.Equal(1, await CountNamedAsync(again, "resumed.bin"));
    }

    internal static async Task<FileRef> PutAsync(HttpClient client, string name, int seed, string? key)
    {
        using var response = await SendPutAsync(client, name, seed, key);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {text}");
        var body = JsonDocument.Parse(text).RootElement;
        return new FileRef(body.GetProperty("id").GetString()!, body.GetProperty("sha256").GetString()!);
    }

    internal static Task<HttpResponseMessage> SendPutAsync(HttpClient client, string name, int seed, string? key, long size = Size)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"/v1/files/{name}") { Content = new StreamContent(new Payload(size, seed)) };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return client.SendAsync(request);
    }

    internal static async Task<int> CountNamedAsync(HttpClient client, string name)
    {
        var page = await client.GetFromJsonAsync<JsonElement>($"/v1/files?prefix={Uri.EscapeDataString(name)}&limit=1000");
        return page.GetProperty("items").EnumerateArray().Count(i => i.GetProperty("name").GetString() == name);
    }

    // While the supervisor restarts the killed plugin the host answers 503; the client retries with the same key.
    private static async Task<FileRef> RetryUntilCreatedAsync(HttpClient client, string name, int seed, string key)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            using var response = await SendPutAsync(client, name, seed, key);
            if (response.StatusCode == HttpStatusCode.Created)
            {
                var body = await response.Content.ReadFromJsonAsync<JsonElement>();
                return new FileRef(body.GetProperty("id").GetString()!, body.GetProperty("sha256").GetString()!);
            }

            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            Assert.True(deadline.Elapsed < HostProcess.Timeout, "The storage plugin did not come back after a kill.");
            await Task.Delay(100);
        }
    }

    private static async Task<JsonElement> CompleteAsync(HttpClient client, string uploadId)
    {
        using var response = await client.PostAsync($"/v1/uploads/{uploadId}/complete", null);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    internal sealed record FileRef(string Id, string Sha256);
}
