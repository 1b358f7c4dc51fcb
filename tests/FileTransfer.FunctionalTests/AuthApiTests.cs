using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FileTransfer.FunctionalTests;

/// <summary>Who may do what: sessions, roles and the admin routes, through a real host and its users-file plugin.</summary>
public sealed class AuthApiTests
{
    [Fact]
    public async Task Routes_WithoutToken_Are401WithHowToSignIn()
    {
        await using var host = await HostProcess.StartAsync();

        using var response = await host.Http.GetAsync("/v1/files");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("unauthenticated", problem.GetProperty("code").GetString());
        Assert.Contains("POST /v1/auth/login", problem.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Session_AuthPluginKilledThenHostRestarted_SameTokenStillWorks()
    {
        // Arrange
        var dataDir = Directory.CreateTempSubdirectory("ft-host-").FullName;
        try
        {
            string token;
            await using (var host = await HostProcess.StartAsync(dataDir))
            {
                token = await host.LoginAsync();
                var firstPid = await host.PluginPidAsync(token, "users");

                // Act 1: the auth plugin dies and the supervisor starts a new one.
                Process.GetProcessById(firstPid).Kill();
                var newPid = await RetryAsync(async () =>
                {
                    var pid = await host.PluginPidAsync(token, "users");
                    return pid != firstPid ? pid : (int?)null;
                });

                // Assert 1: the new auth process knows the token (the pid query itself was authorized by it).
                Assert.NotEqual(firstPid, newPid);
                Assert.Contains("\"sessions\"", await File.ReadAllTextAsync(Path.Combine(dataDir, "sessions.json")));
                Assert.DoesNotContain(token, await File.ReadAllTextAsync(Path.Combine(dataDir, "sessions.json")));
            }

            // Act 2: the whole host restarts on the same data folder.
            await using var restarted = await HostProcess.StartAsync(dataDir);
            using var client = restarted.Client(token);
            using var response = await client.GetAsync("/v1/files");

            // Assert 2
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task Login_WrongPassword_Is401()
    {
        await using var host = await HostProcess.StartAsync();

        using var response = await host.Http.PostAsJsonAsync("/v1/auth/login", new { username = "admin", password = "wrong" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Reader_OnWriteAndAdminRoutes_Is403ButMayRead()
    {
        await using var host = await HostProcess.StartAsync();
        await AddUserAsync(host, "bob", "reader", "bobs-password");
        using var reader = host.Client(await host.LoginAsync("bob", "bobs-password"));

        using var list = await reader.GetAsync("/v1/files");
        using var put = await reader.PutAsync("/v1/files/x.txt", new StringContent("x"));
        using var plugins = await reader.GetAsync("/v1/plugins");
        var problem = await put.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        Assert.Equal("permission_denied", problem.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, plugins.StatusCode);
    }

    [Fact]
    public async Task Admin_Plugins_ListsSixRunningPlugins()
    {
        await using var host = await HostProcess.StartAsync();
        using var admin = host.Client(await host.LoginAsync());

        var body = await admin.GetFromJsonAsync<JsonElement>("/v1/plugins");

        var plugins = body.GetProperty("plugins").EnumerateArray().ToList();
        Assert.Equal(["auth", "custom", "custom", "monitor", "protocol", "storage"], plugins.Select(p => p.GetProperty("type").GetString()).Order());
        Assert.All(plugins, p => Assert.Equal("running", p.GetProperty("status").GetString()));
        Assert.All(plugins, p => Assert.Equal("builtin", p.GetProperty("source").GetString()));
    }

    [Fact]
    public async Task Logout_RevokedToken_Is401()
    {
        await using var host = await HostProcess.StartAsync();
        using var client = host.Client(await host.LoginAsync());

        using var logout = await client.PostAsync("/v1/auth/logout", null);
        using var after = await client.GetAsync("/v1/stats");

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task Token_AfterItExpires_Is401AndRefreshGivesANewOne()
    {
        await using var host = await HostProcess.StartAsync(settings: "--Plugins:users:Config:token_ttl_seconds=1");
        using var login = await host.Http.PostAsJsonAsync("/v1/auth/login", new { username = "admin", password = HostProcess.AdminPassword });
        var session = await login.Content.ReadFromJsonAsync<JsonElement>();
        using var client = host.Client(session.GetProperty("token").GetString()!);

        // Waits for expiry by watching the answer change, not by a fixed sleep.
        var status = HttpStatusCode.OK;
        using var deadline = new CancellationTokenSource(HostProcess.Timeout);
        while (status != HttpStatusCode.Unauthorized)
        {
            await Task.Delay(200, deadline.Token);
            using var probe = await client.GetAsync("/v1/stats", deadline.Token);
            status = probe.StatusCode;
        }

        using var refresh = await host.Http.PostAsJsonAsync("/v1/auth/refresh", new { refreshToken = session.GetProperty("refreshToken").GetString() });
        var renewed = await refresh.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);
        Assert.NotEqual(session.GetProperty("token").GetString(), renewed.GetProperty("token").GetString());
    }

    internal static Task AddUserAsync(HostProcess host, string username, string role, string password) =>
        AddUserAsync(Path.Combine(host.DataDir, "users.json"), username, role, password);

    internal static async Task AddUserAsync(string usersFile, string username, string role, string password)
    {
        var startInfo = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { HostProcess.PluginDll("UsersFileAuth"), "add-user", "--file", usersFile, "--username", username, "--role", role, "--password-stdin" })
        {
            startInfo.ArgumentList.Add(arg);
        }

        using var process = Process.Start(startInfo)!;
        await process.StandardInput.WriteAsync(password);
        process.StandardInput.Close();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(HostProcess.Timeout);
        Assert.True(process.ExitCode == 0, error);
    }

    // Retries while the host answers 503 or the value is not there yet, within the host timeout.
    private static async Task<T> RetryAsync<T>(Func<Task<T?>> attempt)
        where T : struct
    {
        using var timeout = new CancellationTokenSource(HostProcess.Timeout);
        while (true)
        {
            try
            {
                if (await attempt() is { } value)
                {
                    return value;
                }
            }
            catch (HttpRequestException)
            {
                // The plugin is restarting: the host answered 503.
            }

            await Task.Delay(100, timeout.Token);
        }
    }
}
