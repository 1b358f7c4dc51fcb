using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// Plugin packages end to end: the grpcplugins tool makes a key and a signed package of a real plugin, the host
/// installs it through its API, runs it, hands it transfer events, stops and uninstalls it, and keeps its state across restarts.
/// </summary>
public sealed class PluginPackageTests
{
    private static string ToolDll => Path.Combine(HostProcess.RepoRoot, "src", "GrpcPlugins.Cli", "bin", HostProcess.Configuration, "net10.0", "grpcplugins.dll");

    [Fact]
    public async Task SignedPackage_InstallStartUseStopUninstall_StateHoldsAcrossRestarts()
    {
        var work = Directory.CreateTempSubdirectory("ft-package-").FullName;
        var package = await PackAuditCopyAsync(work, sign: true);
        var dataDir = Directory.CreateTempSubdirectory("ft-host-").FullName;
        var trust = $"--FileTransfer:Packages:TrustedKeys:0={Path.Combine(work, "builder.pub.pem")}";

        JsonElement uploaded, started, listed, afterRestart;
        string transferId, rejectedConfig;
        HttpStatusCode rejectedStatus;
        JsonElement configAfterReject;
        int firstPid;
        await using (var host = await HostProcess.StartAsync(dataDir, null, trust))
        {
            var token = await host.LoginAsync();
            using var admin = host.Client(token);
            uploaded = await SendAsync(admin, HttpMethod.Post, "/v1/plugins/upload", ZipContent(package), HttpStatusCode.Created);
            started = await SendAsync(admin, HttpMethod.Put, "/v1/plugins/audit-copy", JsonContent.Create(new { status = "running" }), HttpStatusCode.OK);
            firstPid = started.GetProperty("pid").GetInt32();

            // Use it: a transfer (to this same host) sends the monitor its events, which it writes to its own log.
            var fileId = await TransferApiTests.PutAsync(admin, "watched.bin", 256 * 1024, seed: 3);
            using var start = await admin.PostAsJsonAsync("/v1/transfers", new { fileId, destination = host.BaseUrl, destinationToken = token });
            transferId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            await TransferApiTests.AuditRecordsAsync(host, transferId, "transfer.completed", "audit-copy.log").WaitAsync(HostProcess.Timeout);

            using var badConfig = await admin.PutAsync("/v1/plugins/audit-copy/config", JsonContent.Create(new { audit_log = "{DataDir}/other.log", flush_interval_ms = "soon" }));
            rejectedStatus = badConfig.StatusCode;
            rejectedConfig = (await badConfig.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("message").GetString()!;
            configAfterReject = (await admin.GetFromJsonAsync<JsonElement>("/v1/plugins/audit-copy")).GetProperty("config");
            listed = (await admin.GetFromJsonAsync<JsonElement>("/v1/plugins")).GetProperty("plugins");
        }

        Assert.False(ProcessIsAlive(firstPid));
        await using (var host = await HostProcess.StartAsync(dataDir, null, trust))
        {
            var token = await host.LoginAsync();
            using var admin = host.Client(token);
            afterRestart = await admin.GetFromJsonAsync<JsonElement>("/v1/plugins/audit-copy");
            var stop = await RunToolAsync(work, "stop", "audit-copy", "--host", host.BaseUrl, "--token", token);
            var stopped = await admin.GetFromJsonAsync<JsonElement>("/v1/plugins/audit-copy");
            var uninstall = await RunToolAsync(work, "uninstall", "audit-copy", "--host", host.BaseUrl, "--token", token);
            using var gone = await admin.GetAsync("/v1/plugins/audit-copy");

            Assert.True(stop.ExitCode == 0, stop.ToString());
            Assert.Equal("stopped", stopped.GetProperty("status").GetString());
            Assert.Equal(JsonValueKind.Null, stopped.GetProperty("pid").ValueKind);
            Assert.False(ProcessIsAlive(afterRestart.GetProperty("pid").GetInt32()));
            Assert.True(uninstall.ExitCode == 0, uninstall.ToString());
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
            Assert.False(Directory.Exists(Path.Combine(dataDir, "plugins", "audit-copy")));
        }

        await using (var host = await HostProcess.StartAsync(dataDir, null, trust))
        {
            using var admin = host.Client(await host.LoginAsync());
            var names = (await admin.GetFromJsonAsync<JsonElement>("/v1/plugins")).GetProperty("plugins").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
            Assert.Equal(["audit", "files", "http", "quota", "scanner", "users"], names.Order(StringComparer.Ordinal));
        }

        Assert.Equal("stopped", uploaded.GetProperty("status").GetString());
        Assert.Equal("package", uploaded.GetProperty("source").GetString());
        Assert.Equal(500, uploaded.GetProperty("priority").GetInt32());
        Assert.Equal(16, uploaded.GetProperty("metadata").GetProperty("signedBy").GetString()!.Length);
        Assert.Equal("running", started.GetProperty("status").GetString());
        Assert.Equal("1.2.0", started.GetProperty("metadata").GetProperty("version").GetString());
        Assert.Equal(["v1", "v2"], started.GetProperty("metadata").GetProperty("apiVersions").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("running", started.GetProperty("nodeStatus")[0].GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, rejectedStatus);
        Assert.Contains("flush_interval_ms", rejectedConfig);
        Assert.Equal("{DataDir}/audit-copy.log", configAfterReject.GetProperty("audit_log").GetString());
        Assert.Equal(["audit-copy", "audit"], listed.EnumerateArray().Where(p => p.GetProperty("type").GetString() == "monitor").Select(p => p.GetProperty("name").GetString()));
        Assert.Equal("running", afterRestart.GetProperty("status").GetString());
        Assert.NotEqual(firstPid, afterRestart.GetProperty("pid").GetInt32());
    }

    [Fact]
    public async Task Upload_NewerVersionOfRunningPlugin_UpgradedWithoutDowntimeBrokenOneRolledBackStateHoldsAcrossRestart()
    {
        var work = Directory.CreateTempSubdirectory("ft-package-").FullName;
        var v120 = await PackAuditCopyAsync(work, sign: true, "1.2.0");
        var v130 = await PackAuditCopyAsync(work, sign: true, "1.3.0");

        // Valid and signed, but the process dies at start: the SDK it needs is missing.
        var broken = await PackAuditCopyAsync(work, sign: true, "1.4.0", folder => File.Delete(Path.Combine(folder, "GrpcPlugins.Sdk.dll")));
        var older = await PackAuditCopyAsync(work, sign: true, "1.1.0");
        var dataDir = Directory.CreateTempSubdirectory("ft-host-").FullName;
        var pluginsDir = Path.Combine(dataDir, "plugins");
        var trust = $"--FileTransfer:Packages:TrustedKeys:0={Path.Combine(work, "builder.pub.pem")}";

        JsonElement before, upgraded, afterBroken, afterRestart;
        List<string?> statusesDuringUpgrade;
        string brokenMessage, sameMessage, olderMessage, snapshotBeforeBroken, snapshotAfterBroken;
        HttpStatusCode brokenStatus, sameStatus, olderStatus;
        await using (var host = await HostProcess.StartAsync(dataDir, null, trust))
        {
            var token = await host.LoginAsync();
            using var admin = host.Client(token);
            await SendAsync(admin, HttpMethod.Post, "/v1/plugins/upload", ZipContent(v120), HttpStatusCode.Created);
            before = await SendAsync(admin, HttpMethod.Put, "/v1/plugins/audit-copy", JsonContent.Create(new { status = "running" }), HttpStatusCode.OK);

            // Watch the plugin through the API while it is upgraded: it must never be reported down.
            using var watching = new CancellationTokenSource();
            var watch = Task.Run(async () =>
            {
                var seen = new List<string?>();
                while (!watching.IsCancellationRequested)
                {
                    var plugin = await admin.GetFromJsonAsync<JsonElement>("/v1/plugins/audit-copy");
                    seen.Add(plugin.GetProperty("status").GetString());
                }

                return seen;
            });
            upgraded = await SendAsync(admin, HttpMethod.Post, "/v1/plugins/upload", ZipContent(v130), HttpStatusCode.OK);
            await watching.CancelAsync();
            statusesDuringUpgrade = await watch.WaitAsync(HostProcess.Timeout);

            // The new version serves: a transfer's events reach its log.
            var fileId = await TransferApiTests.PutAsync(admin, "watched.bin", 64 * 1024, seed: 5);
            using var start = await admin.PostAsJsonAsync("/v1/transfers", new { fileId, destination = host.BaseUrl, destinationToken = token });
            var transferId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            await TransferApiTests.AuditRecordsAsync(host, transferId, "transfer.completed", "audit-copy.log").WaitAsync(HostProcess.Timeout);

            snapshotBeforeBroken = Snapshot(pluginsDir);
            using (var response = await admin.PostAsync("/v1/plugins/upload", ZipContent(broken)))
            {
                (brokenStatus, brokenMessage) = (response.StatusCode, await MessageAsync(response));
            }

            snapshotAfterBroken = Snapshot(pluginsDir);
            afterBroken = await admin.GetFromJsonAsync<JsonElement>("/v1/plugins/audit-copy");
            using (var response = await admin.PostAsync("/v1/plugins/upload", ZipContent(v130)))
            {
                (sameStatus, sameMessage) = (response.StatusCode, await MessageAsync(response));
            }

            using (var response = await admin.PostAsync("/v1/plugins/upload", ZipContent(older)))
            {
                (olderStatus, olderMessage) = (response.StatusCode, await MessageAsync(response));
            }
        }

        // What a host that died part way through an upgrade leaves: a staging folder and a version never recorded.
        Directory.CreateDirectory(Path.Combine(pluginsDir, ".staging-0123456789abcdef", "lib"));
        Directory.CreateDirectory(Path.Combine(pluginsDir, ".versions", "audit-copy@9.0.0-deadbeef"));
        await using (var host = await HostProcess.StartAsync(dataDir, null, trust))
        {
            using var admin = host.Client(await host.LoginAsync());
            afterRestart = await admin.GetFromJsonAsync<JsonElement>("/v1/plugins/audit-copy");
        }

        var firstPid = before.GetProperty("pid").GetInt32();
        var upgradedPid = upgraded.GetProperty("pid").GetInt32();
        Assert.Equal("1.2.0", before.GetProperty("metadata").GetProperty("version").GetString());
        Assert.NotEmpty(statusesDuringUpgrade);
        Assert.All(statusesDuringUpgrade, s => Assert.Equal("running", s));
        Assert.Equal("running", upgraded.GetProperty("status").GetString());
        Assert.Equal("1.3.0", upgraded.GetProperty("metadata").GetProperty("version").GetString());
        Assert.NotEqual(firstPid, upgradedPid);
        Assert.False(ProcessIsAlive(firstPid));
        Assert.Equal("{DataDir}/audit-copy.log", upgraded.GetProperty("config").GetProperty("audit_log").GetString());
        Assert.False(Directory.Exists(Path.Combine(pluginsDir, "audit-copy")));
        Assert.Single(Directory.EnumerateDirectories(Path.Combine(pluginsDir, ".versions")), d => Path.GetFileName(d).StartsWith("audit-copy@1.3.0-", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.Conflict, brokenStatus);
        Assert.Contains("from 1.3.0 to 1.4.0 was rolled back", brokenMessage);
        Assert.Contains("exited", brokenMessage);
        Assert.Contains("Version 1.3.0 keeps serving", brokenMessage);
        Assert.Equal(snapshotBeforeBroken, snapshotAfterBroken);
        Assert.Equal("running", afterBroken.GetProperty("status").GetString());
        Assert.Equal("1.3.0", afterBroken.GetProperty("metadata").GetProperty("version").GetString());
        Assert.Equal(upgradedPid, afterBroken.GetProperty("pid").GetInt32());
        Assert.Equal(HttpStatusCode.Conflict, sameStatus);
        Assert.Contains("the same version", sameMessage);
        Assert.Equal(HttpStatusCode.Conflict, olderStatus);
        Assert.Contains("an older version", olderMessage);
        Assert.Contains("uninstall 'audit-copy' first", olderMessage);

        Assert.False(ProcessIsAlive(upgradedPid));
        Assert.Equal("running", afterRestart.GetProperty("status").GetString());
        Assert.Equal("1.3.0", afterRestart.GetProperty("metadata").GetProperty("version").GetString());
        Assert.False(Directory.Exists(Path.Combine(pluginsDir, ".staging-0123456789abcdef")));
        Assert.False(Directory.Exists(Path.Combine(pluginsDir, ".versions", "audit-copy@9.0.0-deadbeef")));
        Assert.Single(Directory.EnumerateDirectories(Path.Combine(pluginsDir, ".versions")));
    }

    [Fact]
    public async Task Upload_NewerAuthPluginWhileRequestsUseIt_NoRequestFailsAndNewVersionAnswersAfter()
    {
        var work = Directory.CreateTempSubdirectory("ft-package-").FullName;
        var v1 = await PackEchoAuthAsync(work, "1.0.0");
        var v2 = await PackEchoAuthAsync(work, "1.1.0");
        var trust = $"--FileTransfer:Packages:TrustedKeys:0={Path.Combine(work, "builder.pub.pem")}";
        await using var host = await HostProcess.StartAsync(null, null, trust);
        using var admin = host.Client(await host.LoginAsync());
        await SendAsync(admin, HttpMethod.Post, "/v1/plugins/upload", ZipContent(v1), HttpStatusCode.Created);
        var before = await SendAsync(admin, HttpMethod.Put, "/v1/plugins/echo-auth", JsonContent.Create(new { status = "running" }), HttpStatusCode.OK);

        // Every request with this token is authorized by echo-auth (the built-in auth plugin does not know it).
        using var alice = host.Client("tok-alice");
        using var stop = new CancellationTokenSource();
        var answers = new List<HttpStatusCode>();
        var requests = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await alice.GetAsync("/v1/files");
                lock (answers)
                {
                    answers.Add(response.StatusCode);
                }
            }
        })).ToList();
        await WaitUntilAsync(() => Count(answers) >= 20);
        var beforeUpgrade = Count(answers);
        var upgraded = await SendAsync(admin, HttpMethod.Post, "/v1/plugins/upload", ZipContent(v2), HttpStatusCode.OK);
        var duringUpgrade = Count(answers);
        await WaitUntilAsync(() => Count(answers) >= duringUpgrade + 20);
        await stop.CancelAsync();
        await Task.WhenAll(requests).WaitAsync(HostProcess.Timeout);
        using var afterwards = await alice.GetAsync("/v1/files");

        Assert.All(answers, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.True(duringUpgrade > beforeUpgrade, "No request was answered while the upgrade ran.");
        Assert.Equal(HttpStatusCode.OK, afterwards.StatusCode);
        Assert.Equal("1.0.0", before.GetProperty("metadata").GetProperty("version").GetString());
        Assert.Equal("1.1.0", upgraded.GetProperty("metadata").GetProperty("version").GetString());
        Assert.Equal("running", upgraded.GetProperty("status").GetString());
        Assert.False(ProcessIsAlive(before.GetProperty("pid").GetInt32()));
        Assert.True(ProcessIsAlive(upgraded.GetProperty("pid").GetInt32()));
    }

    [Fact]
    public async Task Upload_NewerVersionOfPluginThatFailedToStart_NewVersionStarts()
    {
        var work = Directory.CreateTempSubdirectory("ft-package-").FullName;
        var broken = await PackAuditCopyAsync(work, sign: true, "1.2.0", folder => File.Delete(Path.Combine(folder, "GrpcPlugins.Sdk.dll")));
        var fixedVersion = await PackAuditCopyAsync(work, sign: true, "1.2.1");
        var trust = $"--FileTransfer:Packages:TrustedKeys:0={Path.Combine(work, "builder.pub.pem")}";
        await using var host = await HostProcess.StartAsync(null, null, trust);
        using var admin = host.Client(await host.LoginAsync());
        await SendAsync(admin, HttpMethod.Post, "/v1/plugins/upload", ZipContent(broken), HttpStatusCode.Created);
        using (var start = await admin.PutAsync("/v1/plugins/audit-copy", JsonContent.Create(new { status = "running" })))
        {
            Assert.False(start.IsSuccessStatusCode, await start.Content.ReadAsStringAsync());
        }

        var crashed = await admin.GetFromJsonAsync<JsonElement>("/v1/plugins/audit-copy");
        var upgraded = await SendAsync(admin, HttpMethod.Post, "/v1/plugins/upload", ZipContent(fixedVersion), HttpStatusCode.OK);

        Assert.Equal("crashed", crashed.GetProperty("status").GetString());
        Assert.Equal("running", upgraded.GetProperty("status").GetString());
        Assert.Equal("1.2.1", upgraded.GetProperty("metadata").GetProperty("version").GetString());
        Assert.Equal(JsonValueKind.Null, upgraded.GetProperty("lastError").ValueKind);
        Assert.True(ProcessIsAlive(upgraded.GetProperty("pid").GetInt32()));
    }

    [Fact]
    public async Task Upload_BadPackagesAndBuiltinChanges_ClearErrorsAndPluginsFolderUnchanged()
    {
        var work = Directory.CreateTempSubdirectory("ft-package-").FullName;
        var unsigned = await PackAuditCopyAsync(work, sign: false);
        await using var host = await HostProcess.StartAsync();
        using var admin = host.Client(await host.LoginAsync());
        var pluginsDir = Path.Combine(host.DataDir, "plugins");
        var before = Snapshot(pluginsDir);

        using var unsignedUpload = await admin.PostAsync("/v1/plugins/upload", ZipContent(unsigned));
        using var garbage = await admin.PostAsync("/v1/plugins/upload", new ByteArrayContent("not a zip"u8.ToArray()));
        using var deleteBuiltin = await admin.DeleteAsync("/v1/plugins/files");
        using var disableBuiltin = await admin.PutAsync("/v1/plugins/files", JsonContent.Create(new { status = "disabled" }));
        using var badStatus = await admin.PutAsync("/v1/plugins/files", JsonContent.Create(new { status = "paused" }));
        using var unknown = await admin.GetAsync("/v1/plugins/nope");

        Assert.Equal(HttpStatusCode.BadRequest, unsignedUpload.StatusCode);
        Assert.Contains("not signed", await MessageAsync(unsignedUpload));
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
        Assert.Contains("not a readable zip", await MessageAsync(garbage));
        Assert.Equal(HttpStatusCode.Conflict, deleteBuiltin.StatusCode);
        Assert.Contains("built-in", await MessageAsync(deleteBuiltin));
        Assert.Equal(HttpStatusCode.Conflict, disableBuiltin.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badStatus.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(before, Snapshot(pluginsDir));
        Assert.Equal("running", (await admin.GetFromJsonAsync<JsonElement>("/v1/plugins/files")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Tool_LocalFolder_VerbsChangeFolderAndExitCodesSayWhy()
    {
        var work = Directory.CreateTempSubdirectory("ft-package-").FullName;
        var package = await PackAuditCopyAsync(work, sign: true);
        string[] local = ["--plugins-dir", "plugins", "--trusted-key", "builder.pub.pem"];

        var untrusted = await RunToolAsync(work, "install", package, "--plugins-dir", "plugins");
        var verify = await RunToolAsync(work, ["verify", package, .. local]);
        var install = await RunToolAsync(work, ["install", package, .. local]);
        var again = await RunToolAsync(work, ["install", package, .. local]);
        var disable = await RunToolAsync(work, ["disable", "audit-copy", .. local]);
        var disabledState = await File.ReadAllTextAsync(Path.Combine(work, "plugins", ".state.json"));
        var enable = await RunToolAsync(work, ["enable", "audit-copy", .. local]);
        var upgrade = await RunToolAsync(work, ["install", await PackAuditCopyAsync(work, sign: true, "1.3.0"), .. local]);
        var markedRunning = await RunToolAsync(work, ["start", "audit-copy", .. local]);
        var upgradeWhileMarkedRunning = await RunToolAsync(work, ["install", await PackAuditCopyAsync(work, sign: true, "1.4.0"), .. local]);
        var stopLocal = await RunToolAsync(work, ["stop", "audit-copy", .. local]);
        var list = await RunToolAsync(work, ["list", .. local]);
        var uninstall = await RunToolAsync(work, ["uninstall", "audit-copy", .. local]);
        var missing = await RunToolAsync(work, ["uninstall", "audit-copy", .. local]);
        var usage = await RunToolAsync(work, "install");

        Assert.Equal(5, untrusted.ExitCode);
        Assert.Contains("does not trust", untrusted.Stderr);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("signed by trusted key", verify.Stdout);
        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.Equal(6, again.ExitCode);
        Assert.Contains("is installed, and this package is 1.2.0, the same version", again.Stderr);
        Assert.True(disable.ExitCode == 0, disable.ToString());
        Assert.Contains("\"status\": \"disabled\"", disabledState);
        Assert.True(enable.ExitCode == 0, enable.ToString());
        Assert.True(upgrade.ExitCode == 0, upgrade.ToString());
        Assert.Contains("upgraded audit-copy 1.2.0 -> 1.3.0", upgrade.Stdout);
        Assert.True(markedRunning.ExitCode == 0 && stopLocal.ExitCode == 0, markedRunning + "\n" + stopLocal);
        Assert.Equal(6, upgradeWhileMarkedRunning.ExitCode);
        Assert.Contains("--host", upgradeWhileMarkedRunning.Stderr);
        Assert.Contains("1.3.0", list.Stdout);
        Assert.Contains("audit-copy", list.Stdout);
        Assert.Contains("stopped", list.Stdout);
        Assert.True(uninstall.ExitCode == 0, uninstall.ToString());
        Assert.False(Directory.Exists(Path.Combine(work, "plugins", "audit-copy")));
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(work, "plugins", ".versions")));
        Assert.Equal(4, missing.ExitCode);
        Assert.Equal(2, usage.ExitCode);
    }

    /// <summary>
    /// Copies the built AuditMonitor, writes its plugin.json, and packs it with the grpcplugins tool: signed when asked,
    /// with a key made on the first call in <paramref name="work"/>; <paramref name="change"/> may alter the copy first.
    /// </summary>
    internal static async Task<string> PackAuditCopyAsync(string work, bool sign, string version = "1.2.0", Action<string>? change = null)
    {
        var source = Path.Combine(work, "audit-copy-" + version + "-" + Guid.NewGuid().ToString("N")[..6]);
        CopyFolder(Path.GetDirectoryName(HostProcess.PluginDll("AuditMonitor"))!, source);
        change?.Invoke(source);
        var manifest = new JsonObject
        {
            ["name"] = "audit-copy",
            ["version"] = version,
            ["description"] = "Writes transfer events to a second audit log",
            ["authors"] = new JsonArray("Jane Doe <jane@example.com>"),
            ["builder"] = new JsonObject { ["name"] = "Example Builds", ["contact"] = "builds@example.com" },
            ["sourceUrl"] = "https://example.com/audit-copy",
            ["types"] = new JsonArray("monitor"),
            ["entrypoint"] = new JsonObject { ["command"] = "AuditMonitor.dll" },
            ["apiVersions"] = new JsonArray("v2"),
            ["hostVersions"] = ">= 1.0, < 2",
            ["priority"] = 500,
            ["configSchema"] = JsonNode.Parse("""
                {"type": "object", "required": ["audit_log"], "properties": {
                  "audit_log": {"type": "string", "default": "{DataDir}/audit-copy.log"},
                  "flush_interval_ms": {"type": "string", "pattern": "^[0-9]+$", "default": "100"}}}
                """),
        };
        return await PackAsync(work, source, manifest, sign);
    }

    /// <summary>
    /// Packs the GrpcPlugins.TestPlugin build as the auth plugin "echo-auth" (priority 10, ahead of the built-in "users"):
    /// it accepts the token "tok-alice" for reading and passes every other token down the chain.
    /// </summary>
    private static async Task<string> PackEchoAuthAsync(string work, string version)
    {
        var source = Path.Combine(work, "echo-auth-" + version);
        CopyFolder(Path.GetDirectoryName(TestPluginDll)!, source);
        var manifest = new JsonObject
        {
            ["name"] = "echo-auth",
            ["version"] = version,
            ["description"] = "Accepts one fixed token, for upgrade tests",
            ["authors"] = new JsonArray("GrpcPlugins tests"),
            ["builder"] = new JsonObject { ["name"] = "GrpcPlugins tests", ["contact"] = "tests@example.com" },
            ["sourceUrl"] = "https://example.com/echo-auth",
            ["types"] = new JsonArray("auth"),
            ["entrypoint"] = new JsonObject { ["command"] = "GrpcPlugins.TestPlugin.dll", ["args"] = new JsonArray("auth") },
            ["apiVersions"] = new JsonArray("v1"),
            ["hostVersions"] = ">= 0.1",
            ["priority"] = 10,
        };
        return await PackAsync(work, source, manifest, sign: true);
    }

    /// <summary>Writes plugin.json into a folder and packs it with the grpcplugins tool, signed (with a key made on the first call) when asked.</summary>
    internal static async Task<string> PackAsync(string work, string source, JsonObject manifest, bool sign)
    {
        await File.WriteAllTextAsync(Path.Combine(source, "plugin.json"), manifest.ToJsonString());
        var package = Path.Combine(work, Path.GetFileName(source) + (sign ? ".zip" : "-unsigned.zip"));
        List<string> args = ["pack", source, "-o", package];
        if (sign && !File.Exists(Path.Combine(work, "builder.key.pem")))
        {
            var keygen = await RunToolAsync(work, "keygen", "-o", "builder");
            Assert.True(keygen.ExitCode == 0, keygen.ToString());
        }

        if (sign)
        {
            args.AddRange(["--key", "builder.key.pem"]);
        }

        var pack = await RunToolAsync(work, [.. args]);
        Assert.True(pack.ExitCode == 0, pack.ToString());
        return package;
    }

    private static string TestPluginDll => Path.Combine(HostProcess.RepoRoot, "tests", "GrpcPlugins.TestPlugin", "bin", HostProcess.Configuration, "net10.0", "GrpcPlugins.TestPlugin.dll");

    internal static Task<FtResult> RunToolAsync(string workDir, params string[] args) =>
        FtCli.RunDllAsync(ToolDll, args, workDir, new Dictionary<string, string?> { ["GRPCPLUGINS_HOST"] = null, ["GRPCPLUGINS_TOKEN"] = null, ["GRPCPLUGINS_DIR"] = null });

    private static async Task<JsonElement> SendAsync(HttpClient client, HttpMethod method, string path, HttpContent content, HttpStatusCode expected)
    {
        using var response = await client.SendAsync(new HttpRequestMessage(method, path) { Content = content });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    internal static ByteArrayContent ZipContent(string path)
    {
        var content = new ByteArrayContent(File.ReadAllBytes(path));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        return content;
    }

    private static async Task<string> MessageAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("message").GetString()!;

    private static string Snapshot(string folder) => !Directory.Exists(folder)
        ? "(none)"
        : string.Join('\n', Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));

    internal static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static int Count<T>(List<T> list)
    {
        lock (list)
        {
            return list.Count;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(HostProcess.Timeout);
        while (!condition())
        {
            await Task.Delay(20, deadline.Token);
        }
    }

    private static bool ProcessIsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
