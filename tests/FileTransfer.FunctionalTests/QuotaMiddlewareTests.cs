using System.Net;

namespace FileTransfer.FunctionalTests;

/// <summary>The QuotaMiddleware plugin in a real host, after its session gate.</summary>
public sealed class QuotaMiddlewareTests
{
    private static readonly TimeSpan Timeout = HostProcess.Timeout;

    [Fact]
    public async Task UploadPastQuota_Answers413AndStoresNothing_WhileUploadsWithinItWork()
    {
        await using var host = await HostProcess.StartAsync(settings: "--Plugins:quota:Config:upload_quota_bytes=100000");
        using var client = host.Client(await host.LoginAsync().WaitAsync(Timeout));

        using var first = await client.PutAsync("/v1/files/a.bin", new ByteArrayContent(new byte[60_000])).WaitAsync(Timeout);
        using var second = await client.PutAsync("/v1/files/b.bin", new ByteArrayContent(new byte[60_000])).WaitAsync(Timeout);
        var listing = await client.GetStringAsync("/v1/files").WaitAsync(Timeout);

        Assert.True(first.IsSuccessStatusCode, $"The first upload failed with {first.StatusCode}.");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, second.StatusCode);
        Assert.Contains("a.bin", listing, StringComparison.Ordinal);
        Assert.DoesNotContain("b.bin", listing, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestsPastRate_Answer429WithRetryAfter()
    {
        await using var host = await HostProcess.StartAsync(settings: "--Plugins:quota:Config:requests_per_minute=5");
        using var client = host.Client(await host.LoginAsync().WaitAsync(Timeout));

        // Five fit in a minute; a sixth within the same minute is refused. A minute boundary in between only restarts the
        // count, so twenty requests always meet a refusal.
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 20 && refused is null; i++)
        {
            var response = await client.GetAsync("/v1/files").WaitAsync(Timeout);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused = response;
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                response.Dispose();
            }
        }

        Assert.NotNull(refused);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, "429 without a positive Retry-After.");
        refused.Dispose();
    }
}
