using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using Microsoft.Extensions.DependencyInjection;
using Action = GrpcPlugins.Auth.V1.Action;

namespace GrpcPlugins.Management.Tests;

/// <summary>
/// What the dashboard's plugin page reads and changes: a plugin's calls per method from the host's own metrics, its
/// health history and contracts (GET {name}/activity), and its place among the plugins of its type (PUT {name}/move).
/// </summary>
public sealed class DetailApiTests
{
    [Fact]
    public async Task Activity_AfterCalls_CountsThemPerMethodWithLatencyAndHistory()
    {
        // Arrange
        var work = Directory.CreateTempSubdirectory("mgmt-activity-").FullName;
        var (key, trusted) = TestPackages.Key(work);
        await using var host = await MinimalHost.StartAsync(trusted);
        using var admin = host.Client(MinimalHost.AdminToken);
        // The host's meter is the process's: a name no other test uses keeps their calls out of this count.
        using (var upload = await admin.PostAsync("/v1/plugins/upload", ManagementApiTests.Zip(TestPackages.EchoAuth(work, key, name: "echo-activity"))))
        {
            Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        }

        using (var start = await admin.PutAsJsonAsync("/v1/plugins/echo-activity", new { status = "running" }))
        {
            Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        }

        var auth = host.Services.GetRequiredService<IPluginRegistry>().Get("echo-activity").Auth;

        // Act
        for (var i = 0; i < 5; i++)
        {
            await auth.AuthorizeAsync("tok-alice", "/x", Action.Read).WaitAsync(TestPackages.Timeout);
        }

        var activity = await admin.GetFromJsonAsync<JsonElement>("/v1/plugins/echo-activity/activity?seconds=60");
        using var unknown = await admin.GetAsync("/v1/plugins/nope/activity");
        using var reader = host.Client(MinimalHost.ReaderToken);
        using var forbidden = await reader.GetAsync("/v1/plugins/echo-activity/activity");

        // Assert
        Assert.Equal(60, activity.GetProperty("seconds").GetInt32());
        var method = Assert.Single(activity.GetProperty("methods").EnumerateArray(), m => m.GetProperty("method").GetString() == "grpcplugins.auth.v1.AuthService/Authorize");
        Assert.Equal(5, method.GetProperty("totalCalls").GetInt64());
        Assert.Equal(0, method.GetProperty("totalErrors").GetInt64());
        var points = method.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal(60, points.Count);
        Assert.Equal(5, points.Sum(p => p.GetProperty("calls").GetInt64()));
        Assert.All(points.Where(p => p.GetProperty("calls").GetInt64() > 0), p => Assert.True(p.GetProperty("p99Ms").GetDouble() >= p.GetProperty("p50Ms").GetDouble()));
        Assert.Contains(activity.GetProperty("history").EnumerateArray(), e => e.GetProperty("kind").GetString() == "state" && e.GetProperty("detail").GetString() == "running");
        Assert.Equal(JsonValueKind.String, activity.GetProperty("stderrTail").ValueKind);
        Assert.Equal(JsonValueKind.Array, activity.GetProperty("services").ValueKind);
        Assert.Equal(JsonValueKind.Array, activity.GetProperty("callbackGrants").ValueKind);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
    }

    [Fact]
    public async Task Move_BeforeAndRear_ReordersTheChainAtOnceAndAfterRestart()
    {
        // Arrange
        var work = Directory.CreateTempSubdirectory("mgmt-move-").FullName;
        var (key, trusted) = TestPackages.Key(work);
        var pluginsDir = Path.Combine(work, "plugins");
        List<string> before, afterMove, afterRear;
        int movedPriority;
        HttpStatusCode builtin, badPosition, unknownPeer;
        await using (var host = await MinimalHost.StartAsync(trusted, pluginsDir: pluginsDir))
        {
            using var admin = host.Client(MinimalHost.AdminToken);
            foreach (var name in new[] { "echo-auth", "echo-auth-2" })
            {
                using var upload = await admin.PostAsync("/v1/plugins/upload", ManagementApiTests.Zip(TestPackages.EchoAuth(work, key, name: name)));
                Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
                using var start = await admin.PutAsJsonAsync($"/v1/plugins/{name}", new { status = "running" });
                Assert.Equal(HttpStatusCode.OK, start.StatusCode);
            }

            var registry = host.Services.GetRequiredService<IPluginRegistry>();
            List<string> Chain() => [.. registry.OfType(PluginType.Auth).Select(p => p.Name)];

            // Act
            before = Chain();
            using (var move = await admin.PutAsJsonAsync("/v1/plugins/echo-auth-2/move", new { position = "before:echo-auth" }))
            {
                var moved = await move.Content.ReadFromJsonAsync<JsonElement>();
                Assert.True(move.StatusCode == HttpStatusCode.OK, moved.ToString());
                movedPriority = moved.GetProperty("priority").GetInt32();
            }

            afterMove = Chain();
            using (var rear = await admin.PutAsJsonAsync("/v1/plugins/echo-auth-2/move", new { position = "rear" }))
            {
                Assert.Equal(HttpStatusCode.OK, rear.StatusCode);
            }

            afterRear = Chain();
            using (var response = await admin.PutAsJsonAsync("/v1/plugins/memory/move", new { position = "front" }))
            {
                builtin = response.StatusCode;
            }

            using (var response = await admin.PutAsJsonAsync("/v1/plugins/echo-auth/move", new { position = "top" }))
            {
                badPosition = response.StatusCode;
            }

            using (var response = await admin.PutAsJsonAsync("/v1/plugins/echo-auth/move", new { position = "after:memory" }))
            {
                unknownPeer = response.StatusCode;
            }
        }

        List<string> afterRestart;
        await using (var host = await MinimalHost.StartAsync(trusted, pluginsDir: pluginsDir))
        {
            var registry = host.Services.GetRequiredService<IPluginRegistry>();
            afterRestart = [.. registry.OfType(PluginType.Auth).Select(p => p.Name)];
        }

        // Assert
        Assert.Equal(["echo-auth", "echo-auth-2"], before);
        Assert.Equal(9, movedPriority);
        Assert.Equal(["echo-auth-2", "echo-auth"], afterMove);
        Assert.Equal(["echo-auth", "echo-auth-2"], afterRear);
        Assert.Equal(["echo-auth", "echo-auth-2"], afterRestart);
        Assert.Equal(HttpStatusCode.Conflict, builtin);
        Assert.Equal(HttpStatusCode.BadRequest, badPosition);
        Assert.Equal(HttpStatusCode.NotFound, unknownPeer);
    }
}
