using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using GrpcPlugins.TestSupport;
using Npgsql;

namespace GrpcPlugins.Management.Tests.Cluster;

/// <summary>
/// Cluster mode with two minimal hosts (nodes a and b, in this process, each with its own plugins folder and real
/// plugin processes) on one database of a private PostgreSQL: an install through a runs on both, a per-node stop stops
/// it on b only, and a package tampered with in the database is refused by both.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterModeTests(PostgresServer postgres)
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Install_OnNodeA_RunsOnBoth_StopOnNodeB_StopsItThereOnly_TamperedUpgrade_RefusedByBoth()
    {
        // Arrange
        var database = await postgres.CreateDatabaseAsync();
        var work = Directory.CreateTempSubdirectory("mgmt-cluster-").FullName;
        var (key, trusted) = TestPackages.Key(work);
        var v1 = TestPackages.EchoAuth(work, key, "1.0.0");
        var v2 = TestPackages.EchoAuth(work, key, "1.1.0");
        await using var a = await MinimalHost.StartAsync(trusted, nodeName: "a", clusterConnectionString: database);
        await using var b = await MinimalHost.StartAsync(trusted, nodeName: "b", clusterConnectionString: database);
        using var adminA = a.Client(MinimalHost.AdminToken);
        using var adminB = b.Client(MinimalHost.AdminToken);

        // Act
        using var upload = await adminA.PostAsync("/v1/plugins/upload", new ByteArrayContent(await File.ReadAllBytesAsync(v1))).WaitAsync(Bound);
        using var start = await adminA.PutAsJsonAsync("/v1/plugins/echo-auth", new { status = "running" }).WaitAsync(Bound);
        var running = await UntilAsync(adminB, s => s.Count == 2 && s.Values.All(n => n.Status == "running"));
        var nodes = await adminB.GetFromJsonAsync<JsonElement>("/v1/nodes").WaitAsync(Bound);
        using var stop = await adminA.PutAsync("/v1/nodes/b/plugins/echo-auth/stop", null).WaitAsync(Bound);
        var stopped = await UntilAsync(adminA, s => s["b"].Status == "stopped");
        await TamperAsync(database, v2);
        var refused = await UntilAsync(adminA, s => s.Values.All(n => n.LastError?.Contains("signature", StringComparison.Ordinal) == true));

        // Assert
        Assert.True(upload.StatusCode == HttpStatusCode.Created, await upload.Content.ReadAsStringAsync());
        Assert.True(start.StatusCode == HttpStatusCode.OK, await start.Content.ReadAsStringAsync());
        Assert.NotEqual(running["a"].Pid, running["b"].Pid);
        Assert.True(nodes.GetProperty("cluster").GetBoolean());
        Assert.Equal(["a", "b"], nodes.GetProperty("nodes").EnumerateArray().Where(n => n.GetProperty("alive").GetBoolean()).Select(n => n.GetProperty("name").GetString()));
        Assert.True(stop.StatusCode == HttpStatusCode.OK, await stop.Content.ReadAsStringAsync());
        Assert.Equal("running", stopped["a"].Status);
        Assert.Equal(running["a"].Pid, stopped["a"].Pid);
        Assert.True(await TestPackages.ExitedAsync(running["b"].Pid!.Value));
        Assert.Equal("1.0.0", refused["a"].Version);
        Assert.Equal("1.0.0", refused["b"].Version);
        Assert.Equal("running", refused["a"].Status);
        Assert.Equal("stopped", refused["b"].Status);
    }

    // Someone with write access to the database swaps in a 1.1.0 whose manifest was changed after signing.
    private static async Task TamperAsync(string database, string package)
    {
        using var bytes = new MemoryStream();
        bytes.Write(await File.ReadAllBytesAsync(package));
        using (var zip = new ZipArchive(bytes, ZipArchiveMode.Update, leaveOpen: true))
        {
            var entry = zip.GetEntry("plugin.json")!;
            JsonObject manifest;
            using (var reader = entry.Open())
            {
                manifest = JsonNode.Parse(reader)!.AsObject();
            }

            manifest["description"] = "Harmless, honestly";
            entry.Delete();
            using var writer = zip.CreateEntry("plugin.json").Open();
            writer.Write(JsonSerializer.SerializeToUtf8Bytes(manifest));
        }

        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync().WaitAsync(Bound);
        await using var update = new NpgsqlCommand("UPDATE plugin_catalog SET version = '1.1.0', package = @package WHERE name = 'echo-auth'; SELECT pg_notify('plugin_catalog', 'intruder')", connection);
        update.Parameters.AddWithValue("package", bytes.ToArray());
        await update.ExecuteNonQueryAsync().WaitAsync(Bound);
    }

    private static Task<Dictionary<string, NodeState>> UntilAsync(HttpClient admin, Func<Dictionary<string, NodeState>, bool> condition) =>
        NodeStatusPoll.UntilAsync(() => admin.GetFromJsonAsync<JsonElement>("/v1/plugins/echo-auth"), "echo-auth", condition, Bound);
}
