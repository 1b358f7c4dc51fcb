using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// The HTTP protocol plugin reads the file it sends through the host's callbacks (grant <c>files.read</c>), not with the
/// user's token, and keeps its sends in the host's key-value store (grant <c>kv</c>), so a send outlives the plugin's
/// process: what the user sees through <c>/v1/transfers</c>.
/// </summary>
public sealed class TransferStateTests
{
    [Fact]
    public async Task Send_PluginKilledMidTransferAndUserSignedOut_SameTransferCompletesWithSameSha256()
    {
        await using var a = await HostProcess.StartAsync(settings: ["--Plugins:http:Config:throttle_bytes_per_second=4194304"]);
        await using var b = await HostProcess.StartAsync();
        var sender = await a.LoginAsync();
        var watcher = await a.LoginAsync();
        using var onA = a.Client(sender);
        using var watching = a.Client(watcher);
        var tokenB = await b.LoginAsync();
        const long size = 32L * 1024 * 1024;
        var fileId = await TransferApiTests.PutAsync(onA, "survives.bin", size, seed: 21);
        var pluginBefore = await a.PluginPidAsync(watcher, "http");

        using var start = await onA.PostAsJsonAsync("/v1/transfers", new { fileId, destination = b.BaseUrl, destinationToken = tokenB });
        var transferId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        // The sender's token is dead from here on: a plugin that read the file with it could not go on after a restart.
        using (var logout = await onA.PostAsync("/v1/auth/logout", null))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        var moving = await WaitForAsync(watching, transferId, t => t.GetProperty("bytesTransferred").GetInt64() > 2 * 1024 * 1024);
        Process.GetProcessById(pluginBefore).Kill();
        var done = await WaitForAsync(watching, transferId, t => t.GetProperty("status").GetString() is "completed" or "failed");
        var listed = await ListedAsync(watching, transferId, t => t.GetProperty("status").GetString() is "completed");
        var pluginAfter = await a.PluginPidAsync(watcher, "http");
        using var onB = b.Client(tokenB);
        var received = (await onB.GetFromJsonAsync<JsonElement>("/v1/files?prefix=survives.bin")).GetProperty("items").EnumerateArray().Single();
        using var download = await onB.GetAsync($"/v1/files/{received.GetProperty("id").GetString()}", HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        Assert.True(moving.GetProperty("bytesTransferred").GetInt64() < size, "the send ended before the plugin was killed; the test proves nothing");
        Assert.NotEqual(pluginBefore, pluginAfter);
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(fileId, listed.GetProperty("fileId").GetString());
        Assert.Equal(size, listed.GetProperty("bytesTransferred").GetInt64());
        Assert.Equal(Payload.Sha256Of(size, seed: 21), received.GetProperty("sha256").GetString());
        Assert.Equal(Payload.Sha256Of(size, seed: 21), await Payload.Sha256Async(await download.Content.ReadAsStreamAsync()));
    }

    [Fact]
    public async Task Status_PluginKilledAfterSendCompleted_StillKnowsTheTransfer()
    {
        await using var host = await HostProcess.StartAsync();
        var token = await host.LoginAsync();
        using var client = host.Client(token);
        var fileId = await TransferApiTests.PutAsync(client, "kept.bin", 256 * 1024, seed: 22);
        using var start = await client.PostAsJsonAsync("/v1/transfers", new { fileId, destination = host.BaseUrl, destinationToken = token });
        var transferId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await WaitForAsync(client, transferId, t => t.GetProperty("status").GetString() is "completed");
        var pluginBefore = await host.PluginPidAsync(token, "http");

        Process.GetProcessById(pluginBefore).Kill();
        await WaitForNewPluginAsync(host, token, pluginBefore);
        var afterRestart = await WaitForAsync(client, transferId, _ => true);

        Assert.Equal("completed", afterRestart.GetProperty("status").GetString());
        Assert.Equal(256 * 1024, afterRestart.GetProperty("bytesTransferred").GetInt64());
        Assert.Equal(fileId, afterRestart.GetProperty("fileId").GetString());
    }

    [Fact]
    public async Task Send_PluginWithoutKvGrant_PermissionDeniedNamesTheGrantAndSendStillWorks()
    {
        // files.read stays granted, kv and log are not.
        await using var host = await HostProcess.StartAsync(settings: ["--Plugins:http:HostCallbacks:1=", "--Plugins:http:HostCallbacks:2="]);
        var token = await host.LoginAsync();
        using var client = host.Client(token);
        var fileId = await TransferApiTests.PutAsync(client, "memory-only.bin", 300 * 1024, seed: 23);

        using var start = await client.PostAsJsonAsync("/v1/transfers", new { fileId, destination = host.BaseUrl, destinationToken = token });
        var transferId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var done = await WaitForAsync(client, transferId, t => t.GetProperty("status").GetString() is "completed" or "failed");

        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Contains("needs the grant \"kv\"", host.Output, StringComparison.Ordinal);
    }

    private static async Task WaitForNewPluginAsync(HostProcess host, string adminToken, int oldPid)
    {
        using var deadline = new CancellationTokenSource(HostProcess.Timeout);
        while (true)
        {
            try
            {
                if (await host.PluginPidAsync(adminToken, "http") is var pid && pid != oldPid && pid > 0)
                {
                    return;
                }
            }
            catch (InvalidOperationException)
            {
                // No pid while the plugin restarts.
            }

            await Task.Delay(100, deadline.Token);
        }
    }

    // Polls GET /v1/transfers/{id}; while the plugin restarts the host answers 503, which is waited out.
    private static async Task<JsonElement> WaitForAsync(HttpClient client, string transferId, Func<JsonElement, bool> condition)
    {
        using var deadline = new CancellationTokenSource(HostProcess.Timeout);
        while (true)
        {
            using var response = await client.GetAsync($"/v1/transfers/{transferId}", deadline.Token);
            if (response.IsSuccessStatusCode)
            {
                var transfer = await response.Content.ReadFromJsonAsync<JsonElement>(deadline.Token);
                if (condition(transfer))
                {
                    return transfer;
                }
            }

            await Task.Delay(100, deadline.Token);
        }
    }

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

            await Task.Delay(100, deadline.Token);
        }
    }
}
