using System.Net;
using System.Net.Http.Headers;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// Range GETs and HEAD through the host with a storage plugin that implements Stat and one built before it: the HTTP
/// answers are the same, and the host's metrics (plugin calls by method) show which calls reached the plugin.
/// </summary>
public sealed class RangedDownloadTests
{
    private const long Size = 200_000;
    private const int Seed = 11;

    private static string TestPluginDll => Path.Combine(HostProcess.RepoRoot, "tests", "GrpcPlugins.TestPlugin", "bin", HostProcess.Configuration, "net10.0", "GrpcPlugins.TestPlugin.dll");

    [Fact]
    public async Task RangeGetAndHead_StorageWithStat_MetadataFromStatAndOneRetrievePerGet()
    {
        await using var host = await HostProcess.StartAsync();
        using var client = host.Client(await host.LoginAsync());
        var id = await TransferApiTests.PutAsync(client, "ranged.bin", Size, Seed);

        await AssertDownloadAnswersAsync(client, id);
        var samples = await ScrapeAsync(host);

        // The range GET, the unsatisfiable one and the HEAD each ask Stat; only the two GETs that send bytes open a Retrieve.
        Assert.Equal(3, Calls(samples, "Stat", "0"));
        Assert.Equal(3, Calls(samples, "Stat"));
        Assert.Equal(2, Calls(samples, "Retrieve"));
    }

    [Fact]
    public async Task RangeGetAndHead_StorageWithoutStat_SameAnswersThroughRetrieveAndStatAskedOnce()
    {
        await using var host = await HostProcess.StartAsync(null, null, $"--Plugins:files:Command={TestPluginDll}", "--Plugins:files:Args:0=storage-no-stat");
        using var client = host.Client(await host.LoginAsync());
        var id = await TransferApiTests.PutAsync(client, "ranged.bin", Size, Seed);

        await AssertDownloadAnswersAsync(client, id);
        var samples = await ScrapeAsync(host);

        // Stat is asked once (UNIMPLEMENTED, 12) and remembered; the metadata then comes from a Retrieve read only for it:
        // the range GET (metadata, then the range), the unsatisfiable range, the HEAD, and the whole GET.
        Assert.Equal(1, Calls(samples, "Stat", "12"));
        Assert.Equal(1, Calls(samples, "Stat"));
        Assert.Equal(5, Calls(samples, "Retrieve"));
    }

    // The answers a client sees, whichever way the host got the metadata.
    private static async Task AssertDownloadAnswersAsync(HttpClient client, string id)
    {
        var sha256 = Payload.Sha256Of(Size, Seed);
        using var rangeRequest = new HttpRequestMessage(HttpMethod.Get, $"/v1/files/{id}") { Headers = { Range = new RangeHeaderValue(1000, 50_999) } };
        using var range = await client.SendAsync(rangeRequest);
        var rangeBytes = await range.Content.ReadAsByteArrayAsync();
        using var beyondRequest = new HttpRequestMessage(HttpMethod.Get, $"/v1/files/{id}") { Headers = { Range = new RangeHeaderValue(Size, null) } };
        using var beyond = await client.SendAsync(beyondRequest);
        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v1/files/{id}"));
        using var whole = await client.GetAsync($"/v1/files/{id}");
        var wholeSha256 = await Payload.Sha256Async(await whole.Content.ReadAsStreamAsync());

        Assert.Equal(HttpStatusCode.PartialContent, range.StatusCode);
        Assert.Equal($"bytes 1000-50999/{Size}", range.Content.Headers.ContentRange!.ToString());
        Assert.Equal(Payload.Slice(1000, 50_000, Seed), rangeBytes);
        Assert.Equal($"\"{sha256}\"", range.Headers.ETag!.Tag);
        Assert.Equal("ranged.bin", range.Content.Headers.ContentDisposition!.FileNameStar);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, beyond.StatusCode);
        Assert.Equal($"bytes */{Size}", beyond.Content.Headers.ContentRange!.ToString());
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(Size, head.Content.Headers.ContentLength);
        Assert.Equal($"\"{sha256}\"", head.Headers.ETag!.Tag);
        Assert.Equal("bytes", Assert.Single(head.Headers.AcceptRanges));
        Assert.Equal("ranged.bin", head.Content.Headers.ContentDisposition!.FileNameStar);
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(sha256, wholeSha256);
    }

    private static async Task<List<(string Name, string Labels, double Value)>> ScrapeAsync(HostProcess host)
    {
        using var scrape = await host.Http.GetAsync("/metrics");
        scrape.EnsureSuccessStatusCode();
        return MetricsEndpointTests.Parse(await scrape.Content.ReadAsStringAsync());
    }

    // Calls of the storage plugin "files" by method, of every status or of one.
    private static double Calls(List<(string Name, string Labels, double Value)> samples, string method, string? status = null) =>
        samples
            .Where(s => s.Name is "grpcplugins_plugin_calls" or "grpcplugins_plugin_calls_total"
                && s.Labels.Contains("grpcplugins_plugin_name=\"files\"", StringComparison.Ordinal)
                && s.Labels.Contains($"rpc_method=\"{method}\"", StringComparison.Ordinal)
                && (status is null || s.Labels.Contains($"rpc_grpc_status_code=\"{status}\"", StringComparison.Ordinal)))
            .Sum(s => s.Value);
}
