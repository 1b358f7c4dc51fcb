using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text;
using System.Text.Json.Nodes;
using GrpcPlugins.Packaging;
using GrpcPlugins.TestSupport;
using Npgsql;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// Cluster-wide plugin management (GrpcPlugins.Management's cluster mode) on three file-transfer nodes, a, b and c, on
/// one private PostgreSQL database: a package installed through one node runs on all, a per-node stop stops it there
/// only, a rolling upgrade stops and rolls back at a node where the new version cannot start, a package tampered with
/// in the database is refused by every node, a node that was down catches up when it returns, a signing key added to
/// the cluster through one node is trusted by all (and no longer once removed through another), and a roll whose
/// coordinating node is killed is taken over and finished by another. The nodes are shared by the tests (each uses its
/// own plugin); the catch-up and takeover tests add a node of their own (d, e), which stays listed dead.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterPluginTests(ClusterPluginTests.Nodes cluster) : IClassFixture<ClusterPluginTests.Nodes>
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Install_OnOneNode_RunsOnEveryNode_PerNodeStop_StopsItOnThatNodeOnly()
    {
        var package = await cluster.PackAsync("cl-install", "1.0.0");

        await cluster.InstallAndStartAsync(cluster.A, "cl-install", package);

        // Asked of node c, which did not get the upload: every node runs it, each in its own process.
        var running = await cluster.UntilAsync(cluster.C, "cl-install", s => AllRunning(s));
        Assert.Subset(running.Keys.ToHashSet(), new HashSet<string> { "a", "b", "c" });
        Assert.Equal(3, Abc(running).Select(n => n.Pid).Distinct().Count());
        Assert.All(Abc(running), n => Assert.True(IsAlive(n.Pid!.Value)));
        var nodes = await cluster.GetAsync(cluster.B, "/v1/nodes");
        // A node another test stopped a moment ago may still count as alive until its heartbeats are missed.
        Assert.Subset(
            nodes.GetProperty("nodes").EnumerateArray().Where(n => n.GetProperty("alive").GetBoolean()).Select(n => n.GetProperty("name").GetString()).ToHashSet(),
            new HashSet<string?> { "a", "b", "c" });

        // Stopped on node b, asked of node c.
        await cluster.SendAsync(cluster.C, HttpMethod.Put, "/v1/nodes/b/plugins/cl-install/stop", new StringContent(string.Empty), HttpStatusCode.OK);
        var afterStop = await cluster.UntilAsync(cluster.A, "cl-install", s => s["b"].Status == "stopped");

        Assert.Equal("running", afterStop["a"].Status);
        Assert.Equal("running", afterStop["c"].Status);
        Assert.Equal(running["a"].Pid, afterStop["a"].Pid);
        Assert.Equal(running["c"].Pid, afterStop["c"].Pid);
        Assert.Equal("stopped", (await cluster.GetAsync(cluster.B, "/v1/plugins/cl-install")).GetProperty("status").GetString());
        await Until(() => !IsAlive(running["b"].Pid!.Value));
    }

    [Fact]
    public async Task RollingUpgrade_NewVersionCannotStartOnNodeB_StopsThere_RollsBackB_ReportsWhereItStopped()
    {
        var v1 = await cluster.PackAsync("cl-roll", "1.0.0");
        var v2 = await cluster.PackAsync("cl-roll", "1.1.0");
        await cluster.InstallAndStartAsync(cluster.A, "cl-roll", v1);
        var before = await cluster.UntilAsync(cluster.A, "cl-roll", s => AllRunning(s));

        // On node b only, the audit log's path is taken by a folder: a new process cannot open it (the running one keeps its open file).
        var log = Path.Combine(cluster.B.DataDir, "cl-roll.log");
        File.Delete(log);
        Directory.CreateDirectory(log);

        using var upgrade = await cluster.SendRawAsync(cluster.A, new HttpRequestMessage(HttpMethod.Post, "/v1/plugins/upload") { Content = PluginPackageTests.ZipContent(v2) });
        var problem = await upgrade.Content.ReadFromJsonAsync<JsonElement>();
        var roll = await cluster.GetAsync(cluster.C, "/v1/plugins/cl-roll/roll");
        var after = await cluster.UntilAsync(cluster.C, "cl-roll", s => AllRunning(s));

        Assert.Equal(HttpStatusCode.Conflict, upgrade.StatusCode);
        Assert.Equal("failed_precondition", problem.GetProperty("code").GetString());
        Assert.Contains("stopped at node 'b'", problem.GetProperty("message").GetString());
        Assert.Equal("failed", roll.GetProperty("state").GetString());
        Assert.Equal("b", roll.GetProperty("failedNode").GetString());
        Assert.Equal(["a"], roll.GetProperty("nodesDone").EnumerateArray().Select(n => n.GetString()));
        Assert.Contains("cl-roll.log", roll.GetProperty("reason").GetString());
        Assert.Equal("1.1.0", after["a"].Version);
        Assert.Equal("1.0.0", after["b"].Version);
        Assert.Equal("1.0.0", after["c"].Version);

        // Node b was rolled back: its old process never stopped serving; node c was never touched.
        Assert.Equal(before["b"].Pid, after["b"].Pid);
        Assert.Equal(before["c"].Pid, after["c"].Pid);
        Assert.NotEqual(before["a"].Pid, after["a"].Pid);
        await Until(() => !IsAlive(before["a"].Pid!.Value));
    }

    [Fact]
    public async Task PackageTamperedInTheDatabase_IsRefusedByEveryNode_WhichKeepsItsVersion()
    {
        var v1 = await cluster.PackAsync("cl-tamper", "1.0.0");
        var v2 = await cluster.PackAsync("cl-tamper", "1.1.0");
        await cluster.InstallAndStartAsync(cluster.A, "cl-tamper", v1);
        await cluster.UntilAsync(cluster.A, "cl-tamper", s => AllRunning(s));

        // Someone with write access to the database puts a signed 1.1.0 whose manifest was changed after signing.
        var tampered = Tamper(v2);
        await using (var connection = new NpgsqlConnection(cluster.Database))
        {
            await connection.OpenAsync().WaitAsync(Bound);
            await using var update = new NpgsqlCommand("UPDATE plugin_catalog SET version = '1.1.0', package = @package WHERE name = 'cl-tamper'; SELECT pg_notify('plugin_catalog', 'intruder')", connection);
            update.Parameters.AddWithValue("package", tampered);
            await update.ExecuteNonQueryAsync().WaitAsync(Bound);
        }

        var refused = await cluster.UntilAsync(cluster.B, "cl-tamper", s => Abc(s).All(n => n.LastError?.Contains("signature", StringComparison.Ordinal) == true));

        Assert.All(Abc(refused), n => Assert.Equal("running", n.Status));
        Assert.All(Abc(refused), n => Assert.Equal("1.0.0", n.Version));
        Assert.All(Abc(refused), n => Assert.Contains("Refused 1.1.0", n.LastError));
    }

    [Fact]
    public async Task NodeDownDuringInstall_CatchesUpWhenItReturns()
    {
        var dataDir = Directory.CreateTempSubdirectory("ft-node-d-").FullName;
        await (await cluster.StartNodeAsync("d", dataDir)).DisposeAsync();
        await Until(async () => (await cluster.GetAsync(cluster.A, "/v1/nodes")).GetProperty("nodes").EnumerateArray().Any(n => n.GetProperty("name").GetString() == "d" && !n.GetProperty("alive").GetBoolean()));

        var package = await cluster.PackAsync("cl-late", "1.0.0");
        await cluster.InstallAndStartAsync(cluster.B, "cl-late", package);
        var whileDown = await cluster.UntilAsync(cluster.A, "cl-late", s => s.ContainsKey("d") && AllRunning(s));
        Assert.Equal("unknown", whileDown["d"].Status);

        await using var d = await cluster.StartNodeAsync("d", dataDir);
        var caughtUp = await cluster.UntilAsync(cluster.A, "cl-late", s => s["d"].Status == "running");

        Assert.Equal("1.0.0", caughtUp["d"].Version);
        Assert.True(IsAlive(caughtUp["d"].Pid!.Value));
        Assert.True(Directory.Exists(Path.Combine(dataDir, "plugins", "cl-late")), d.Output);
    }

    [Fact]
    public async Task ClusterKey_AddedThroughA_PackageInstalledThroughB_RunsOnEveryNode_RemovedThroughC_NextInstallRefusedByEveryNode()
    {
        // A second builder, whose key no node's settings trust.
        var builder = Directory.CreateTempSubdirectory("ft-cluster-builder2-").FullName;
        var package = await cluster.PackAsync("cl-keyed", "1.0.0", builder);
        var later = await cluster.PackAsync("cl-keyed-later", "1.0.0", builder);
        var publicKey = await File.ReadAllTextAsync(Path.Combine(builder, "builder.pub.pem"));
        var fingerprint = PackageSigner.KeyId(publicKey);

        // Refused by every node: each checks the signature with the keys it trusts.
        foreach (var node in cluster.Abc)
        {
            var refused = await cluster.SendAsync(node, HttpMethod.Post, "/v1/plugins/upload", PluginPackageTests.ZipContent(package), HttpStatusCode.BadRequest);
            Assert.Contains(fingerprint, refused.GetProperty("message").GetString());
        }

        // Trusted through node a: the key joins the cluster's, listed by every node.
        var added = await cluster.SendAsync(cluster.A, HttpMethod.Post, "/v1/plugins/keys", new StringContent(publicKey, Encoding.UTF8, "application/x-pem-file"), HttpStatusCode.Created);
        var listedOnC = await cluster.GetAsync(cluster.C, "/v1/plugins/keys");

        // Installed through node b: nodes a and c take it from the catalog and verify it with the cluster's key.
        await cluster.InstallAndStartAsync(cluster.B, "cl-keyed", package);
        var running = await cluster.UntilAsync(cluster.A, "cl-keyed", s => AllRunning(s));

        // Removed through node c: no node installs a package signed by it any more; the installed one keeps running.
        await cluster.SendAsync(cluster.C, HttpMethod.Delete, "/v1/plugins/keys/" + fingerprint, new StringContent(string.Empty), HttpStatusCode.OK);
        var refusedAfter = new List<string?>();
        foreach (var node in cluster.Abc)
        {
            refusedAfter.Add((await cluster.SendAsync(node, HttpMethod.Post, "/v1/plugins/upload", PluginPackageTests.ZipContent(later), HttpStatusCode.BadRequest)).GetProperty("message").GetString());
        }

        var listedOnB = await cluster.GetAsync(cluster.B, "/v1/plugins/keys");
        var afterRemove = await cluster.UntilAsync(cluster.C, "cl-keyed", _ => true);

        Assert.Equal(fingerprint, added.GetProperty("fingerprint").GetString());
        Assert.Equal("cluster", added.GetProperty("source").GetString());
        Assert.Contains(listedOnC.GetProperty("keys").EnumerateArray(), k => k.GetProperty("fingerprint").GetString() == fingerprint && k.GetProperty("source").GetString() == "cluster");
        Assert.All(Abc(running), n => Assert.Equal("1.0.0", n.Version));
        Assert.All(refusedAfter, message => Assert.Contains($"signed with key {fingerprint}", message));
        Assert.DoesNotContain(listedOnB.GetProperty("keys").EnumerateArray(), k => k.GetProperty("fingerprint").GetString() == fingerprint);
        Assert.All(Abc(afterRemove), n => Assert.Equal("running", n.Status));
        Assert.Equal(Abc(running).Select(n => n.Pid), Abc(afterRemove).Select(n => n.Pid));
    }

    [Fact]
    public async Task RollingUpgrade_CoordinatorKilledMidRoll_AnotherNodeTakesItOverAndFinishes_EveryAliveNodeRunsTheNewVersion()
    {
        var v1 = await cluster.PackAsync("cl-failover", "1.0.0");
        var v2 = await cluster.PackAsync("cl-failover", "1.1.0");
        await cluster.InstallAndStartAsync(cluster.A, "cl-failover", v1);

        // Node e coordinates the roll; it watches each upgraded node for 30 s (PauseBetweenNodes), so it is killed mid-roll.
        var e = await cluster.StartNodeAsync("e", null, "--FileTransfer:Packages:Cluster:PauseBetweenNodes=00:00:30");
        try
        {
            await cluster.UntilAsync(cluster.A, "cl-failover", s => AllRunning(s) && s.TryGetValue("e", out var onE) && onE.Status == "running");
            var upload = cluster.SendRawAsync(e, new HttpRequestMessage(HttpMethod.Post, "/v1/plugins/upload") { Content = PluginPackageTests.ZipContent(v2) });
            await Until(async () => (await cluster.RollAsync(cluster.C, "cl-failover")) is { } roll
                && roll.GetProperty("to").GetString() == "1.1.0"
                && roll.GetProperty("nodesDone").EnumerateArray().Any(n => n.GetString() == "a"));
            e.Kill();
            await Assert.ThrowsAnyAsync<Exception>(() => upload);
        }
        finally
        {
            await e.DisposeAsync();
        }

        // Once e misses its heartbeats, one of a, b and c takes the roll over and finishes it.
        JsonElement? ended = null;
        await Until(async () => (ended = await cluster.RollAsync(cluster.B, "cl-failover")) is { } roll && roll.GetProperty("state").GetString() != "rolling");
        var finished = ended!.Value;
        var after = await cluster.UntilAsync(cluster.C, "cl-failover", s => Abc(s).All(n => n.Status == "running" && n.Version == "1.1.0"));

        Assert.Equal("done", finished.GetProperty("state").GetString());
        Assert.Equal(["a", "b", "c"], finished.GetProperty("nodesDone").EnumerateArray().Select(n => n.GetString()));
        Assert.Contains(finished.GetProperty("coordinator").GetString(), new[] { "a", "b", "c" });
        Assert.Contains("coordinator node 'e' died", finished.GetProperty("reason").GetString());
        Assert.Contains($"node '{finished.GetProperty("coordinator").GetString()}' took the roll over", finished.GetProperty("reason").GetString());
        Assert.Equal("unknown", after["e"].Status);
        Assert.Equal("1.1.0", (await cluster.GetAsync(cluster.A, "/v1/plugins/cl-failover")).GetProperty("metadata").GetProperty("version").GetString());
    }

    [Fact]
    public async Task Dashboard_InChromium_ShowsTheNodesAndEachPluginsStatePerNode()
    {
        DashboardTests.RequireBrowserTools();
        var package = await cluster.PackAsync("cl-dashboard", "1.0.0");
        await cluster.InstallAndStartAsync(cluster.B, "cl-dashboard", package);
        var screenshot = Path.Combine(HostProcess.RepoRoot, "tests", "artifacts", "dashboard-cluster.png");

        var (exitCode, output) = await DashboardTests.RunNodeAsync(
            Path.Combine(HostProcess.RepoRoot, "tests", "tools", "dashboard-cluster.browser.mjs"),
            new Dictionary<string, string>
            {
                ["FT_URL"] = cluster.A.BaseUrl,
                ["FT_ADMIN_PASSWORD"] = HostProcess.AdminPassword,
                ["FT_NODES"] = "a,b,c",
                ["FT_PLUGIN"] = "cl-dashboard",
                ["FT_SCREENSHOT"] = screenshot,
                ["CHROMIUM"] = Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium",
            });

        Assert.True(exitCode == 0, $"The browser test failed (exit {exitCode}):\n{output}");
        Assert.Contains("ok - the Nodes card lists a, b, c, each alive, with when it was last seen", output, StringComparison.Ordinal);
        Assert.Contains("ok - the plugins table shows cl-dashboard running on a, b, c", output, StringComparison.Ordinal);
        Assert.Contains("ok - the page logged no script errors", output, StringComparison.Ordinal);
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static Task Until(Func<bool> condition) => Until(() => Task.FromResult(condition()));

    private static async Task Until(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!await condition().WaitAsync(Bound))
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within " + Bound);
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
    }

    // The package with its plugin.json changed after signing: a description that is not the one signed.
    private static byte[] Tamper(string package)
    {
        using var copy = new MemoryStream();
        copy.Write(File.ReadAllBytes(package));
        using (var zip = new ZipArchive(copy, ZipArchiveMode.Update, leaveOpen: true))
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

        return copy.ToArray();
    }

    // The fixture's nodes a, b and c. A node that a test started and stopped (the catch-up test's d) stays listed as
    // dead, as EMQX lists a stopped node, so the other tests look at these three.
    private static IEnumerable<NodeState> Abc(Dictionary<string, NodeState> states) =>
        new[] { "a", "b", "c" }.Select(n => states.TryGetValue(n, out var state) ? state : new NodeState("absent", null, null, null));

    private static bool AllRunning(Dictionary<string, NodeState> states) => Abc(states).All(n => n.Status == "running");

    /// <summary>Three nodes, a, b and c, on one database of the test PostgreSQL, trusting one signing key.</summary>
    public sealed class Nodes(PostgresServer postgres) : IAsyncLifetime
    {
        private readonly Dictionary<HostProcess, HttpClient> _clients = [];
        private string _work = string.Empty;

        internal string Database { get; private set; } = string.Empty;

        internal HostProcess A { get; private set; } = null!;

        internal HostProcess B { get; private set; } = null!;

        internal HostProcess C { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            _work = Directory.CreateTempSubdirectory("ft-cluster-packages-").FullName;
            Database = await postgres.CreateDatabaseAsync();
            // The signing key, made before the nodes that trust it start.
            await PackAsync("cl-key", "0.0.1");
            // One after the other: three hosts starting their plugins at once on a loaded 2-core machine miss HostProcess's start bound.
            A = await StartNodeAsync("a");
            B = await StartNodeAsync("b");
            C = await StartNodeAsync("c");
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var client in _clients.Values)
            {
                client.Dispose();
            }

            await Task.WhenAll(new[] { A, B, C }.Where(n => n is not null).Select(n => n.DisposeAsync().AsTask()));
        }

        internal IEnumerable<HostProcess> Abc => [A, B, C];

        internal Task<HostProcess> StartNodeAsync(string name, string? dataDir = null, params string[] settings) =>
            HostProcess.StartAsync(
                dataDir,
                null,
                [
                    $"--ConnectionStrings:FileTransfer={Database}",
                    $"--FileTransfer:NodeName={name}",
                    $"--FileTransfer:Packages:TrustedKeys:0={Path.Combine(_work, "builder.pub.pem")}",
                    .. settings,
                ]);

        /// <summary>
        /// A signed package of the audit monitor under another name, writing to {DataDir}/NAME.log; signed by the key the
        /// nodes trust, or by the key of another builder's folder <paramref name="work"/> (made on its first use).
        /// </summary>
        internal async Task<string> PackAsync(string name, string version, string? work = null)
        {
            work ??= _work;
            var source = Path.Combine(work, $"{name}-{version}");
            PluginPackageTests.CopyFolder(Path.GetDirectoryName(HostProcess.PluginDll("AuditMonitor"))!, source);
            var manifest = new JsonObject
            {
                ["name"] = name,
                ["version"] = version,
                ["description"] = "Writes transfer events to an audit log of its own",
                ["authors"] = new JsonArray("Jane Doe <jane@example.com>"),
                ["builder"] = new JsonObject { ["name"] = "Example Builds", ["contact"] = "builds@example.com" },
                ["sourceUrl"] = "https://example.com/" + name,
                ["types"] = new JsonArray("monitor"),
                ["entrypoint"] = new JsonObject { ["command"] = "AuditMonitor.dll" },
                ["apiVersions"] = new JsonArray("v2"),
                ["hostVersions"] = ">= 1.0, < 2",
                ["priority"] = 600,
                ["configSchema"] = new JsonObject
                {
                    ["type"] = "object",
                    ["required"] = new JsonArray("audit_log"),
                    ["properties"] = new JsonObject { ["audit_log"] = new JsonObject { ["type"] = "string", ["default"] = "{DataDir}/" + name + ".log" } },
                },
            };
            return await PluginPackageTests.PackAsync(work, source, manifest, sign: true);
        }

        /// <summary>Installs a package for the cluster through a node, and starts it on every node.</summary>
        internal async Task InstallAndStartAsync(HostProcess node, string plugin, string package)
        {
            await SendAsync(node, HttpMethod.Post, "/v1/plugins/upload", PluginPackageTests.ZipContent(package), HttpStatusCode.Created);
            await SendAsync(node, HttpMethod.Put, "/v1/plugins/" + plugin, JsonContent.Create(new { status = "running" }), HttpStatusCode.OK);
        }

        /// <summary>The plugin's latest rolling upgrade, as a node shows it, or null before its first one.</summary>
        internal async Task<JsonElement?> RollAsync(HostProcess node, string plugin)
        {
            using var response = await SendRawAsync(node, new HttpRequestMessage(HttpMethod.Get, $"/v1/plugins/{plugin}/roll"));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"GET roll: {(int)response.StatusCode} {body}");
            return response.StatusCode == HttpStatusCode.OK ? JsonDocument.Parse(body).RootElement.Clone() : null;
        }

        internal async Task<JsonElement> SendAsync(HostProcess node, HttpMethod method, string path, HttpContent content, HttpStatusCode expected)
        {
            using var response = await (await ClientAsync(node)).SendAsync(new HttpRequestMessage(method, path) { Content = content }).WaitAsync(Bound);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {body}\n{node.Output}");
            return JsonDocument.Parse(body).RootElement.Clone();
        }

        internal async Task<HttpResponseMessage> SendRawAsync(HostProcess node, HttpRequestMessage request) =>
            await (await ClientAsync(node)).SendAsync(request).WaitAsync(Bound);

        internal async Task<JsonElement> GetAsync(HostProcess node, string path) =>
            await SendAsync(node, HttpMethod.Get, path, new StringContent(string.Empty), HttpStatusCode.OK);

        /// <summary>Reads the plugin's nodeStatus from a node until the condition holds (bounded).</summary>
        internal Task<Dictionary<string, NodeState>> UntilAsync(HostProcess node, string plugin, Func<Dictionary<string, NodeState>, bool> condition) =>
            NodeStatusPoll.UntilAsync(() => GetAsync(node, "/v1/plugins/" + plugin), plugin, condition, Bound);

        private async Task<HttpClient> ClientAsync(HostProcess node)
        {
            if (!_clients.TryGetValue(node, out var client))
            {
                client = node.Client(await node.LoginAsync());
                _clients[node] = client;
            }

            return client;
        }
    }
}
