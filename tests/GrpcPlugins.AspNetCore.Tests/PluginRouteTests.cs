using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using GrpcPlugins.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace GrpcPlugins.AspNetCore.Tests;

public sealed class PluginRouteTests
{
    private static readonly TimeSpan Timeout = HttpTestHost.Timeout;

    [Fact]
    public async Task MapPluginRoutes_PublicRoute_ReachesPluginWithRouteValues()
    {
        await using var host = await HttpTestHost.StartAsync([("routes", "http-routes", 0)]);

        var response = await host.Client.GetAsync("/v1/ext/hello/world").WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello world", await response.Content.ReadAsStringAsync().WaitAsync(Timeout));
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task MapPluginRoutes_LargeRequestBody_StreamsToPluginByteForByte()
    {
        await using var host = await HttpTestHost.StartAsync([("routes", "http-routes", 0)]);
        var body = RandomNumberGenerator.GetBytes(24 * 1024 * 1024 + 123);

        using var content = new StreamContent(new MemoryStream(body));
        using var response = await host.Client.PostAsync("/v1/ext/sha256", content).WaitAsync(Timeout);
        var received = await response.Content.ReadAsStringAsync().WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{body.Length}:{Convert.ToHexString(SHA256.HashData(body))}", received);
    }

    [Fact]
    public async Task MapPluginRoutes_LargeResponseBody_StreamsToClientByteForByte()
    {
        await using var host = await HttpTestHost.StartAsync([("routes", "http-routes", 0)]);
        const long size = 24 * 1024 * 1024 + 321;
        var expected = new byte[size];
        for (long i = 0; i < size; i++)
        {
            expected[i] = (byte)((i * 7) ^ (i >> 11));
        }

        using var response = await host.Client.GetAsync($"/v1/ext/bytes/{size}", HttpCompletionOption.ResponseHeadersRead).WaitAsync(Timeout);
        await using var stream = await response.Content.ReadAsStreamAsync().WaitAsync(Timeout);
        var hash = await SHA256.HashDataAsync(stream).AsTask().WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(expected)), Convert.ToHexString(hash));
    }

    [Fact]
    public async Task MapPluginRoutes_SessionGate_RefusesAnonymousAndPassesUserRolesAndRequestId()
    {
        await using var host = await HttpTestHost.StartAsync([("routes", "http-routes", 0)]);

        var anonymous = await host.Client.GetAsync("/v1/ext/me").WaitAsync(Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/ext/me");
        request.Headers.Add("x-test-user", "u-42:reader,writer");
        var signedIn = await host.Client.SendAsync(request).WaitAsync(Timeout);
        var me = await signedIn.Content.ReadFromJsonAsync<JsonElement>().WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        Assert.Equal("u-42", me.GetProperty("userId").GetString());
        Assert.Equal(["reader", "writer"], me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.False(string.IsNullOrEmpty(me.GetProperty("requestId").GetString()));
    }

    [Fact]
    public async Task MapPluginRoutes_AdminGate_NeedsAdminRole()
    {
        await using var host = await HttpTestHost.StartAsync([("routes", "http-routes", 0)]);

        using var reader = new HttpRequestMessage(HttpMethod.Get, "/v1/ext/admin");
        reader.Headers.Add("x-test-user", "u-1:reader");
        using var admin = new HttpRequestMessage(HttpMethod.Get, "/v1/ext/admin");
        admin.Headers.Add("x-test-user", "u-2:admin");

        Assert.Equal(HttpStatusCode.Forbidden, (await host.Client.SendAsync(reader).WaitAsync(Timeout)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.SendAsync(admin).WaitAsync(Timeout)).StatusCode);
    }

    [Fact]
    public async Task MapPluginRoutes_PluginStoppedRemovedStarted_RoutesFollowWithoutRestart()
    {
        await using var host = await HttpTestHost.StartAsync([("routes", "http-routes", 0)]);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/v1/ext/hello/a").WaitAsync(Timeout)).StatusCode);

        await host.Registry.StopAsync("routes").WaitAsync(Timeout);
        var stopped = await host.Client.GetAsync("/v1/ext/hello/a").WaitAsync(Timeout);
        var problem = await stopped.Content.ReadFromJsonAsync<JsonElement>().WaitAsync(Timeout);
        await host.Registry.RemoveAsync("routes").WaitAsync(Timeout);
        var removed = await host.Client.GetAsync("/v1/ext/hello/a").WaitAsync(Timeout);
        await host.Registry.StartAsync(HttpTestHost.PluginOptions("routes", "http-routes")).WaitAsync(Timeout);
        var restarted = await host.Client.GetAsync("/v1/ext/hello/b").WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, stopped.StatusCode);
        Assert.Contains("'routes'", problem.GetProperty("detail").GetString());
        Assert.Contains("stopped", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, removed.StatusCode);
        Assert.Equal("hello b", await restarted.Content.ReadAsStringAsync().WaitAsync(Timeout));
    }

    [Fact]
    public async Task MapPluginRoutes_PluginKilled_Answers503OrServesAfterRestart()
    {
        await using var host = await HttpTestHost.StartAsync([("routes", "http-routes", 0)]);
        var plugin = host.Registry.Get("routes");
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/v1/ext/hello/a").WaitAsync(Timeout)).StatusCode);

        using (var process = System.Diagnostics.Process.GetProcessById(plugin.ProcessId))
        {
            process.Kill();
            await process.WaitForExitAsync().WaitAsync(Timeout);
        }

        // Down or already restarted by supervision, never a crash of the host or a 404.
        var response = await host.Client.GetAsync("/v1/ext/hello/a").WaitAsync(Timeout);
        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable });
    }

    [Fact]
    public async Task MapPluginRoutes_ShadowingRoutes_AreRefusedAndTheRestRouted()
    {
        await using var host = await HttpTestHost.StartAsync([("routes", "http-routes", 0), ("shadow", "http-routes-shadow", 10)]);

        var hello = await host.Client.GetStringAsync("/v1/ext/hello/x").WaitAsync(Timeout);
        var hostRoute = await host.Client.GetStringAsync("/v1/ext/host-route").WaitAsync(Timeout);
        var other = await host.Client.GetStringAsync("/v1/ext/other").WaitAsync(Timeout);
        var table = await host.App.Services.GetRequiredService<IPluginRouteTable>().GetRoutesAsync().WaitAsync(Timeout);

        Assert.Equal("hello x", hello);
        Assert.Equal("host", hostRoute);
        Assert.Equal("shadow", other);
        var refused = table.Where(r => r.RefusedReason is not null).ToList();
        Assert.Equal(2, refused.Count);
        Assert.All(refused, r => Assert.Equal("shadow", r.Plugin));
        Assert.Contains(refused, r => r.Path == "/v1/ext/hello/{who}" && r.RefusedReason!.Contains("plugin 'routes'", StringComparison.Ordinal));
        Assert.Contains(refused, r => r.Path == "/v1/ext/host-route" && r.RefusedReason!.Contains("host's own route", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("no-head")]
    [InlineData("body-first")]
    [InlineData("bad-status")]
    public async Task MapPluginRoutes_GarbageResponse_Answers502AndKeepsServing(string kind)
    {
        await using var host = await HttpTestHost.StartAsync([("garbage", "http-routes-garbage", 0), ("routes", "http-routes", 1)]);

        var garbage = await host.Client.GetAsync($"/v1/ext/garbage/{kind}").WaitAsync(Timeout);
        var after = await host.Client.GetStringAsync("/v1/ext/hello/again").WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.BadGateway, garbage.StatusCode);
        Assert.Equal("application/problem+json", garbage.Content.Headers.ContentType?.MediaType);
        Assert.Equal("hello again", after);
    }

    [Fact]
    public async Task MapPluginRoutes_ClientDisconnects_CancelsThePluginCall()
    {
        await using var host = await HttpTestHost.StartAsync([("routes", "http-routes", 0)]);
        var marker = Path.Combine(Path.GetTempPath(), "grpcplugins-hang-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/ext/hang");
            request.Headers.Add("x-marker", marker);
            using var cts = new CancellationTokenSource();
            var call = host.Client.SendAsync(request, cts.Token);

            await WaitForFileAsync(marker + ".started");
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Timeout));

            await WaitForFileAsync(marker + ".cancelled");
        }
        finally
        {
            File.Delete(marker + ".started");
            File.Delete(marker + ".cancelled");
        }
    }

    internal static async Task WaitForFileAsync(string path)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (!File.Exists(path))
        {
            await Task.Delay(50, timeout.Token);
        }
    }
}
