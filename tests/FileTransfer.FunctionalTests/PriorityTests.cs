using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FileTransfer.FunctionalTests;

/// <summary>Several plugins of one type, ordered by priority: an auth chain and monitor fan-out through the real host.</summary>
public sealed class PriorityTests
{
    [Fact]
    public async Task TwoAuthPluginsAndTwoMonitors_AskedAndNotifiedInPriorityOrder()
    {
        var dataDir = Directory.CreateTempSubdirectory("ft-priority-").FullName;
        var partnersFile = Path.Combine(dataDir, "partners.json");
        await AuthApiTests.AddUserAsync(partnersFile, "carol", "writer", "carols-password");
        await AuthApiTests.AddUserAsync(partnersFile, "admin", "reader", HostProcess.AdminPassword);
        await using var host = await HostProcess.StartAsync(
            dataDir,
            settings:
            [
                "--Plugins:partners:Type=Auth",
                "--Plugins:partners:Command=plugins/UsersFileAuth/UsersFileAuth.dll",
                $"--Plugins:partners:Config:users_file={partnersFile}",
                "--Plugins:partners:Priority=500",
                "--Plugins:audit-first:Type=Monitor",
                "--Plugins:audit-first:Command=plugins/AuditMonitor/AuditMonitor.dll",
                "--Plugins:audit-first:Config:audit_log={DataDir}/audit-first.log",
                "--Plugins:audit-first:Priority=500",
            ]);

        // Only the partners plugin knows carol. Both know admin with the same password, as a reader in partners and an
        // admin in users: partners (priority 500) is asked before users (the default 1000), so its answer wins.
        var carol = await host.LoginAsync("carol", "carols-password");
        var admin = await host.LoginAsync();
        using var asCarol = host.Client(carol);
        using var asAdmin = host.Client(admin);
        using var plugins = await asAdmin.GetAsync("/v1/plugins");

        Assert.Equal(HttpStatusCode.Forbidden, plugins.StatusCode);

        var fileId = await TransferApiTests.PutAsync(asCarol, "ordered.bin", 1024 * 1024, seed: 21);
        using var start = await asCarol.PostAsJsonAsync("/v1/transfers", new { fileId, destination = host.BaseUrl, destinationToken = carol });
        var transferId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var first = await TransferApiTests.AuditRecordsAsync(host, transferId, "transfer.completed", "audit-first.log");
        var second = await TransferApiTests.AuditRecordsAsync(host, transferId, "transfer.completed", "audit.log");

        Assert.Equal(first.Select(r => r.GetProperty("event").GetString()), second.Select(r => r.GetProperty("event").GetString()));
        Assert.All(first.Zip(second), pair => Assert.True(
            pair.First.GetProperty("time").GetDateTime() <= pair.Second.GetProperty("time").GetDateTime(),
            $"{pair.First.GetProperty("event")} reached the priority-1000 monitor before the priority-500 one."));
    }
}
