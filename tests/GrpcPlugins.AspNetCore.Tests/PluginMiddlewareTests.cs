using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace GrpcPlugins.AspNetCore.Tests;

public sealed class PluginMiddlewareTests
{
    private static readonly TimeSpan Timeout = HttpTestHost.Timeout;

    [Fact]
    public async Task UsePluginMiddleware_Pass_AddsRequestAndResponseHeaders()
    {
        await using var host = await HttpTestHost.StartAsync([("mw", "http-middleware", 0)]);

        var response = await host.Client.GetAsync("/plain").WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("seen=1", await response.Content.ReadAsStringAsync().WaitAsync(Timeout));
        Assert.Equal("passed", response.Headers.GetValues("x-mw").Single());
    }

    [Fact]
    public async Task UsePluginMiddleware_Respond_AnswersWithStatusHeadersAndProblem()
    {
        await using var host = await HttpTestHost.StartAsync([("mw", "http-middleware", 0)]);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/plain");
        request.Headers.Add("x-mw-block", "yes");
        var response = await host.Client.SendAsync(request).WaitAsync(Timeout);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>().WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
        Assert.Equal("Blocked by the test middleware.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task UsePluginMiddleware_PluginStopped_FailsClosedWith503()
    {
        await using var host = await HttpTestHost.StartAsync([("mw", "http-middleware", 0)]);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/plain").WaitAsync(Timeout)).StatusCode);

        await host.Registry.StopAsync("mw").WaitAsync(Timeout);
        var response = await host.Client.GetAsync("/plain").WaitAsync(Timeout);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>().WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("'mw'", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task UsePluginMiddleware_PluginStoppedAndFailOpen_LetsRequestsThrough()
    {
        await using var host = await HttpTestHost.StartAsync([("mw", "http-middleware", 0)], o => o.FailOpen.Add("mw"));
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/plain").WaitAsync(Timeout)).StatusCode);

        await host.Registry.StopAsync("mw").WaitAsync(Timeout);
        var response = await host.Client.GetAsync("/plain").WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("seen=", await response.Content.ReadAsStringAsync().WaitAsync(Timeout));
    }

    [Fact]
    public async Task UsePluginMiddleware_SlowPlugin_MissesDeadlineAndFailsClosed()
    {
        await using var host = await HttpTestHost.StartAsync([("mw", "http-middleware", 0)], o => o.MiddlewareTimeout = TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/plain").WaitAsync(Timeout)).StatusCode);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/plain");
        request.Headers.Add("x-mw-slow", "yes");
        var response = await host.Client.SendAsync(request).WaitAsync(Timeout);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>().WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("did not answer within 1 s", problem.GetProperty("detail").GetString());
    }
}
