using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using GrpcPlugins.Hosting;
using GrpcPlugins.Test.Echo.V1;
using Microsoft.Extensions.DependencyInjection;
using Action = GrpcPlugins.Auth.V1.Action;

namespace GrpcPlugins.Management.Tests;

/// <summary>
/// The management API in a minimal ASP.NET Core host (not the file-transfer example): a real signed package of a real
/// plugin is installed, run, reconfigured, stopped, started and uninstalled over HTTP, behind the host's own policy.
/// </summary>
public sealed class ManagementApiTests
{
    [Fact]
    public async Task Api_InstallStartConfigureStopUninstall_PluginRunsAsToldAndIsGoneAfter()
    {
        // Arrange
        var work = Directory.CreateTempSubdirectory("mgmt-api-").FullName;
        var (key, trusted) = TestPackages.Key(work);
        var package = TestPackages.EchoAuth(work, key);
        await using var host = await MinimalHost.StartAsync(trusted);
        using var admin = host.Client(MinimalHost.AdminToken);
        var registry = host.Services.GetRequiredService<IPluginRegistry>();

        // Act
        using var upload = await admin.PostAsync("/v1/plugins/upload", Zip(package));
        var installed = await BodyAsync(upload);
        var listed = await admin.GetFromJsonAsync<JsonElement>("/v1/plugins");
        var started = await SendAsync(admin, HttpMethod.Put, "/v1/plugins/echo-auth", new { status = "running" }, HttpStatusCode.OK);
        var pid = started.GetProperty("pid").GetInt32();
        var before = await registry.Get("echo-auth").Auth.AuthorizeAsync("tok-alice", "/x", Action.Read).WaitAsync(TestPackages.Timeout);
        var configured = await SendAsync(admin, HttpMethod.Put, "/v1/plugins/echo-auth/config", new { token = "tok-bob" }, HttpStatusCode.OK);
        var after = await registry.Get("echo-auth").Auth.AuthorizeAsync("tok-bob", "/x", Action.Read).WaitAsync(TestPackages.Timeout);
        using var refused = await admin.PutAsJsonAsync("/v1/plugins/echo-auth/config", new { token = "tok-carol", reject = "not today" });
        var refusedProblem = await BodyAsync(refused);
        var afterRefusal = await admin.GetFromJsonAsync<JsonElement>("/v1/plugins/echo-auth");
        var stopped = await SendAsync(admin, HttpMethod.Put, "/v1/plugins/echo-auth", new { status = "stopped" }, HttpStatusCode.OK);
        var stoppedPidGone = await TestPackages.ExitedAsync(pid);
        var restarted = await SendAsync(admin, HttpMethod.Put, "/v1/plugins/echo-auth", new { status = "running" }, HttpStatusCode.OK);
        var restartedPid = restarted.GetProperty("pid").GetInt32();
        using var uninstall = await admin.DeleteAsync("/v1/plugins/echo-auth");
        using var gone = await admin.GetAsync("/v1/plugins/echo-auth");
        var goneProblem = await BodyAsync(gone);

        // Assert
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        Assert.Equal("/v1/plugins/echo-auth", upload.Headers.Location?.OriginalString);
        Assert.Equal("stopped", installed.GetProperty("status").GetString());
        Assert.Equal("package", installed.GetProperty("source").GetString());
        Assert.Equal("1.0.0", installed.GetProperty("metadata").GetProperty("version").GetString());
        Assert.Equal(16, installed.GetProperty("metadata").GetProperty("signedBy").GetString()!.Length);

        Assert.Equal(MinimalHost.NodeName, listed.GetProperty("node").GetString());
        var plugins = listed.GetProperty("plugins").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);
        Assert.Equal(["echo-auth", "memory"], plugins.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("builtin", plugins["memory"].GetProperty("source").GetString());
        Assert.Equal("running", plugins["memory"].GetProperty("status").GetString());

        Assert.Equal("running", started.GetProperty("status").GetString());
        var node = Assert.Single(started.GetProperty("nodeStatus").EnumerateArray());
        Assert.Equal(MinimalHost.NodeName, node.GetProperty("node").GetString());
        Assert.Equal("running", node.GetProperty("status").GetString());
        Assert.Equal(pid, node.GetProperty("pid").GetInt32());
        Assert.True(before.Allowed);
        Assert.Contains("token=tok-alice", before.Reason);

        Assert.Equal("tok-bob", configured.GetProperty("config").GetProperty("token").GetString());
        Assert.True(after.Allowed);
        Assert.Contains("token=tok-bob", after.Reason);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("invalid_argument", refusedProblem.GetProperty("code").GetString());
        Assert.Contains("not today", refusedProblem.GetProperty("message").GetString());
        Assert.Equal("tok-bob", afterRefusal.GetProperty("config").GetProperty("token").GetString());
        Assert.False(afterRefusal.GetProperty("config").TryGetProperty("reject", out _));

        Assert.Equal("stopped", stopped.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, stopped.GetProperty("pid").ValueKind);
        Assert.True(stoppedPidGone);
        Assert.Equal("running", restarted.GetProperty("status").GetString());
        Assert.NotEqual(pid, restartedPid);
        Assert.Equal(1, restarted.GetProperty("restartCount").GetInt32());

        Assert.Equal(HttpStatusCode.NoContent, uninstall.StatusCode);
        Assert.True(await TestPackages.ExitedAsync(restartedPid));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("not_found", goneProblem.GetProperty("code").GetString());
        Assert.False(Directory.Exists(Path.Combine(host.PluginsDir, "echo-auth")));
    }

    [Fact]
    public async Task Api_UpgradeThatWidensPermissions_RefusedListingWhatWidensUntilAccepted()
    {
        // Arrange
        var work = Directory.CreateTempSubdirectory("mgmt-sandbox-").FullName;
        var (key, trusted) = TestPackages.Key(work);
        var narrow = TestPackages.EchoAuth(work, key, "1.0.0", (JsonObject)JsonNode.Parse("""
            {"resources": {"memoryMiB": 256, "maxOpenFiles": 512}, "permissions": {"network": "none", "write": []}}
            """)!);
        var anywhere = Path.Combine(work, "anywhere");
        var wide = TestPackages.EchoAuth(work, key, "1.1.0", new JsonObject
        {
            ["resources"] = new JsonObject { ["memoryMiB"] = 512, ["maxOpenFiles"] = 512 },
            ["permissions"] = new JsonObject { ["network"] = "any", ["write"] = new JsonArray(anywhere) },
        });
        await using var host = await MinimalHost.StartAsync(trusted);
        using var admin = host.Client(MinimalHost.AdminToken);

        // Act
        using var upload = await admin.PostAsync("/v1/plugins/upload", Zip(narrow));
        var installed = await BodyAsync(upload);
        var started = await SendAsync(admin, HttpMethod.Put, "/v1/plugins/echo-auth", new { status = "running" }, HttpStatusCode.OK);
        using var refused = await admin.PostAsync("/v1/plugins/upload", Zip(wide));
        var refusedBody = await refused.Content.ReadAsStringAsync();
        var afterRefusal = await admin.GetFromJsonAsync<JsonElement>("/v1/plugins/echo-auth");
        using var accepted = await admin.PostAsync("/v1/plugins/upload?acceptPermissions=true", Zip(wide));
        var upgraded = await BodyAsync(accepted);

        // Assert
        var declared = installed.GetProperty("sandbox");
        Assert.Equal(256, declared.GetProperty("resources").GetProperty("memoryMiB").GetInt32());
        Assert.Equal("none", declared.GetProperty("permissions").GetProperty("network").GetString());
        var enforced = started.GetProperty("sandbox").GetProperty("enforced");
        Assert.Equal("namespace", enforced.GetProperty("network").GetString());
        Assert.Equal("bubblewrap", enforced.GetProperty("files").GetString());
        Assert.Equal("rlimit", enforced.GetProperty("openFiles").GetString());
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var problem = JsonDocument.Parse(refusedBody).RootElement;
        Assert.Equal("failed_precondition", problem.GetProperty("code").GetString());
        var message = problem.GetProperty("message").GetString();
        Assert.Contains("resources.memoryMiB: 256 becomes 512", message);
        Assert.Contains("network: none becomes any", message);
        Assert.Contains($"write: adds {anywhere}", message);
        Assert.Contains("?acceptPermissions=true", message);
        Assert.Equal("1.0.0", afterRefusal.GetProperty("metadata").GetProperty("version").GetString());
        Assert.Equal("running", afterRefusal.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal("1.1.0", upgraded.GetProperty("metadata").GetProperty("version").GetString());
        Assert.Equal("any", upgraded.GetProperty("sandbox").GetProperty("permissions").GetProperty("network").GetString());
    }

    [Fact]
    public async Task Api_CustomContractPackage_RunsAndAnswersThroughCreateClient()
    {
        // Arrange
        var work = Directory.CreateTempSubdirectory("mgmt-custom-").FullName;
        var (key, trusted) = TestPackages.Key(work);
        var package = TestPackages.EchoService(work, key, "grpcplugins.test.echo.v1.EchoService");
        await using var host = await MinimalHost.StartAsync(trusted);
        using var admin = host.Client(MinimalHost.AdminToken);
        var registry = host.Services.GetRequiredService<IPluginRegistry>();

        // Act
        using var upload = await admin.PostAsync("/v1/plugins/upload", Zip(package));
        var started = await SendAsync(admin, HttpMethod.Put, "/v1/plugins/echo-service", new { status = "running" }, HttpStatusCode.OK);
        var echo = registry.Get("echo-service").CreateClient<EchoService.EchoServiceClient>();
        var answer = await echo.EchoAsync(new EchoRequest { Text = "through a package" }).ResponseAsync.WaitAsync(TestPackages.Timeout);
        var serving = registry.Serving("grpcplugins.test.echo.v1.EchoService");

        // Assert
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        Assert.Equal("running", started.GetProperty("status").GetString());
        Assert.Equal("through a package", answer.Text);
        Assert.Equal(started.GetProperty("pid").GetInt32(), answer.ProcessId);
        Assert.Equal("echo-service", Assert.Single(serving).Name);
    }

    [Fact]
    public async Task Api_CustomPackageClaimingAServiceItDoesNotServe_StartRefusedNamingTheService()
    {
        // Arrange
        var work = Directory.CreateTempSubdirectory("mgmt-custom-").FullName;
        var (key, trusted) = TestPackages.Key(work);
        var package = TestPackages.EchoService(work, key, "grpcplugins.test.echo.v1.EchoService", "acme.scanner.v1.ScannerService");
        await using var host = await MinimalHost.StartAsync(trusted);
        using var admin = host.Client(MinimalHost.AdminToken);

        // Act
        using var upload = await admin.PostAsync("/v1/plugins/upload", Zip(package));
        using var start = await admin.PutAsJsonAsync("/v1/plugins/echo-service", new { status = "running" });
        var problem = await BodyAsync(start);
        var afterFailure = await admin.GetFromJsonAsync<JsonElement>("/v1/plugins/echo-service");
        var stopped = await SendAsync(admin, HttpMethod.Put, "/v1/plugins/echo-service", new { status = "stopped" }, HttpStatusCode.OK);

        // Assert: the failed start is the registry's status of the plugin, shown until it is stopped on purpose.
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        Assert.False(start.IsSuccessStatusCode);
        Assert.Contains("acme.scanner.v1.ScannerService", problem.GetProperty("message").GetString());
        Assert.Equal("crashed", afterFailure.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, afterFailure.GetProperty("pid").ValueKind);
        Assert.Contains("acme.scanner.v1.ScannerService", afterFailure.GetProperty("lastError").GetString());
        Assert.Equal("crashed", Assert.Single(afterFailure.GetProperty("nodeStatus").EnumerateArray()).GetProperty("status").GetString());
        Assert.Equal("stopped", stopped.GetProperty("status").GetString());
        Assert.Contains("acme.scanner.v1.ScannerService", stopped.GetProperty("lastError").GetString());
    }

    [Fact]
    public async Task Api_BuiltinStoppedAndStartedAgain_RestartCountCountsTheOperatorsStart()
    {
        // Arrange
        var work = Directory.CreateTempSubdirectory("mgmt-builtin-").FullName;
        var (_, trusted) = TestPackages.Key(work);
        await using var host = await MinimalHost.StartAsync(trusted);
        using var admin = host.Client(MinimalHost.AdminToken);

        // Act
        var first = await admin.GetFromJsonAsync<JsonElement>("/v1/plugins/memory");
        var stopped = await SendAsync(admin, HttpMethod.Put, "/v1/plugins/memory", new { status = "stopped" }, HttpStatusCode.OK);
        var started = await SendAsync(admin, HttpMethod.Put, "/v1/plugins/memory", new { status = "running" }, HttpStatusCode.OK);

        // Assert
        Assert.Equal(0, first.GetProperty("restartCount").GetInt32());
        Assert.Equal("stopped", stopped.GetProperty("status").GetString());
        Assert.Equal("running", started.GetProperty("status").GetString());
        Assert.NotEqual(first.GetProperty("pid").GetInt32(), started.GetProperty("pid").GetInt32());
        Assert.Equal(1, started.GetProperty("restartCount").GetInt32());
    }

    [Fact]
    public async Task Api_HostPolicy_AnonymousAndNonAdminRefusedAndNothingInstalled()
    {
        // Arrange
        var work = Directory.CreateTempSubdirectory("mgmt-api-").FullName;
        var (key, trusted) = TestPackages.Key(work);
        var package = TestPackages.EchoAuth(work, key);
        await using var host = await MinimalHost.StartAsync(trusted);
        using var anonymous = host.Client(null);
        using var reader = host.Client(MinimalHost.ReaderToken);
        using var admin = host.Client(MinimalHost.AdminToken);

        // Act
        using var anonymousList = await anonymous.GetAsync("/v1/plugins");
        using var anonymousUpload = await anonymous.PostAsync("/v1/plugins/upload", Zip(package));
        using var anonymousStop = await anonymous.PutAsJsonAsync("/v1/plugins/memory", new { status = "stopped" });
        using var readerUpload = await reader.PostAsync("/v1/plugins/upload", Zip(package));
        var afterwards = await admin.GetFromJsonAsync<JsonElement>("/v1/plugins");

        // Assert
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousList.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousUpload.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousStop.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, readerUpload.StatusCode);
        var only = Assert.Single(afterwards.GetProperty("plugins").EnumerateArray());
        Assert.Equal("memory", only.GetProperty("name").GetString());
        Assert.Equal("running", only.GetProperty("status").GetString());
        Assert.False(Directory.Exists(Path.Combine(host.PluginsDir, "echo-auth")));
    }

    [Fact]
    public async Task Api_BadRequestsInHostWithoutErrorMiddleware_ProblemJsonWithTypedCodes()
    {
        // Arrange
        var work = Directory.CreateTempSubdirectory("mgmt-api-").FullName;
        var (_, trusted) = TestPackages.Key(work);
        var (otherKey, _) = TestPackages.Key(Directory.CreateTempSubdirectory("mgmt-other-").FullName);
        var untrusted = TestPackages.EchoAuth(work, otherKey);
        await using var host = await MinimalHost.StartAsync(trusted, prefix: "/admin/plugins");
        using var admin = host.Client(MinimalHost.AdminToken);

        // Act
        using var garbage = await admin.PostAsync("/admin/plugins/upload", new ByteArrayContent("not a zip"u8.ToArray()));
        using var untrustedUpload = await admin.PostAsync("/admin/plugins/upload", Zip(untrusted));
        using var badStatus = await admin.PutAsJsonAsync("/admin/plugins/memory", new { status = "paused" });
        using var notJson = await admin.PutAsync("/admin/plugins/memory", new StringContent("{status", System.Text.Encoding.UTF8, "application/json"));
        using var deleteBuiltin = await admin.DeleteAsync("/admin/plugins/memory");
        using var disableBuiltin = await admin.PutAsJsonAsync("/admin/plugins/memory", new { status = "disabled" });
        using var unknown = await admin.PutAsJsonAsync("/admin/plugins/nope", new { status = "running" });

        // Assert
        await AssertProblemAsync(garbage, HttpStatusCode.BadRequest, "invalid_argument", "not a readable zip");
        await AssertProblemAsync(untrustedUpload, HttpStatusCode.BadRequest, "invalid_argument", "does not trust");
        await AssertProblemAsync(badStatus, HttpStatusCode.BadRequest, "invalid_argument", "\"paused\"");
        await AssertProblemAsync(notJson, HttpStatusCode.BadRequest, "invalid_argument", "not valid JSON");
        await AssertProblemAsync(deleteBuiltin, HttpStatusCode.Conflict, "failed_precondition", "built-in");
        await AssertProblemAsync(disableBuiltin, HttpStatusCode.Conflict, "failed_precondition", "built-in");
        await AssertProblemAsync(unknown, HttpStatusCode.NotFound, "not_found", "nope");
        Assert.False(Directory.Exists(Path.Combine(host.PluginsDir, "echo-auth")));
    }

    [Fact]
    public async Task Host_Restarted_InstalledPluginComesBackRunningWithItsConfig()
    {
        // Arrange
        var work = Directory.CreateTempSubdirectory("mgmt-api-").FullName;
        var (key, trusted) = TestPackages.Key(work);
        var package = TestPackages.EchoAuth(work, key);
        int firstPid;
        string pluginsDir;
        await using (var host = await MinimalHost.StartAsync(trusted))
        {
            using var admin = host.Client(MinimalHost.AdminToken);
            await SendAsync(admin, HttpMethod.Post, "/v1/plugins/upload", Zip(package), HttpStatusCode.Created);
            await SendAsync(admin, HttpMethod.Put, "/v1/plugins/echo-auth/config", new { token = "tok-dave" }, HttpStatusCode.OK);
            firstPid = (await SendAsync(admin, HttpMethod.Put, "/v1/plugins/echo-auth", new { status = "running" }, HttpStatusCode.OK)).GetProperty("pid").GetInt32();
            pluginsDir = host.PluginsDir;
        }

        // Act
        var firstGone = await TestPackages.ExitedAsync(firstPid);
        await using var again = await MinimalHost.StartAsync(trusted, pluginsDir: pluginsDir);
        using var client = again.Client(MinimalHost.AdminToken);
        var plugin = await client.GetFromJsonAsync<JsonElement>("/v1/plugins/echo-auth");
        var decision = await again.Services.GetRequiredService<IPluginRegistry>().Get("echo-auth").Auth.AuthorizeAsync("tok-dave", "/x", Action.Read).WaitAsync(TestPackages.Timeout);

        // Assert
        Assert.True(firstGone);
        Assert.Equal("running", plugin.GetProperty("status").GetString());
        Assert.NotEqual(firstPid, plugin.GetProperty("pid").GetInt32());
        Assert.True(decision.Allowed);
    }

    internal static ByteArrayContent Zip(string path)
    {
        var content = new ByteArrayContent(File.ReadAllBytes(path));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        return content;
    }

    private static async Task<JsonElement> SendAsync(HttpClient client, HttpMethod method, string path, object body, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body as HttpContent ?? JsonContent.Create(body) };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<JsonElement> BodyAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code, string messagePart)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.Contains(messagePart, problem.GetProperty("message").GetString());

        // RFC 9457's fields beside code and message, as the file-transfer host's own problems carry them.
        var (type, title) = status switch
        {
            HttpStatusCode.BadRequest => ("https://tools.ietf.org/html/rfc9110#section-15.5.1", "Bad Request"),
            HttpStatusCode.NotFound => ("https://tools.ietf.org/html/rfc9110#section-15.5.5", "Not Found"),
            HttpStatusCode.Conflict => ("https://tools.ietf.org/html/rfc9110#section-15.5.10", "Conflict"),
            _ => throw new ArgumentOutOfRangeException(nameof(status), status, "No RFC 9110 type known to this test."),
        };
        Assert.Equal(type, problem.GetProperty("type").GetString());
        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.Equal(problem.GetProperty("message").GetString(), problem.GetProperty("detail").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()), body);
    }
}
