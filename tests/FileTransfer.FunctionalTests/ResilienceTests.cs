using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FileTransfer.FunctionalTests;

/// <summary>A plugin that dies must not take the host down with it.</summary>
public sealed class ResilienceTests
{
    [Fact]
    public async Task StoragePluginKilledWithRestartsOff_RequestsGet503NamingItAndHostStaysUp()
    {
        await using var host = await HostProcess.StartAsync(settings: "--Plugins:files:RestartOnCrash=false");
        var token = await host.LoginAsync();
        using var client = host.Client(token);
        var storagePid = await host.PluginPidAsync(token, "files");

        using (var storage = Process.GetProcessById(storagePid))
        {
            storage.Kill();
            await storage.WaitForExitAsync().WaitAsync(HostProcess.Timeout);
        }

        using var stats = await client.GetAsync("/v1/stats");
        var problem = await stats.Content.ReadFromJsonAsync<JsonElement>();
        using var put = await client.PutAsync("/v1/files/after.txt", new StringContent("x"));
        using var plugins = await client.GetAsync("/v1/plugins");
        var files = (await plugins.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("plugins").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "files");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, stats.StatusCode);
        Assert.Equal("unavailable", problem.GetProperty("code").GetString());
        Assert.Contains("files", problem.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, put.StatusCode);
        Assert.Equal(HttpStatusCode.OK, plugins.StatusCode);
        Assert.Equal("crashed", files.GetProperty("status").GetString());
    }

    [Fact]
    public async Task MonitorPluginKilled_TransferStillCompletes()
    {
        await using var a = await HostProcess.StartAsync();
        await using var b = await HostProcess.StartAsync();
        var token = await a.LoginAsync();
        using var onA = a.Client(token);
        var tokenB = await b.LoginAsync();
        var fileId = await TransferApiTests.PutAsync(onA, "unmonitored.bin", 2L * 1024 * 1024, seed: 5);
        using (var monitor = Process.GetProcessById(await a.PluginPidAsync(token, "audit")))
        {
            monitor.Kill();
            await monitor.WaitForExitAsync().WaitAsync(HostProcess.Timeout);
        }

        using var start = await onA.PostAsJsonAsync("/v1/transfers", new { fileId, destination = b.BaseUrl, destinationToken = tokenB });
        var transferId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var events = await TransferApiTests.ReadEventsAsync(onA, transferId);

        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        Assert.Equal("completed", events[^1].GetProperty("status").GetString());
    }
}
