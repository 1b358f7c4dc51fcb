using System.Globalization;
using System.Net;

namespace FileTransfer.FunctionalTests;

/// <summary>The host's metrics, scraped over HTTP in Prometheus text format and parsed.</summary>
public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task Metrics_AfterAnUploadAndADownload_CountBytesAndPluginCalls()
    {
        await using var host = await HostProcess.StartAsync();
        using var client = host.Client(await host.LoginAsync());
        const long size = 65536;
        var fileId = await TransferApiTests.PutAsync(client, "measured.bin", size, seed: 4);
        using (var download = await client.GetAsync($"/v1/files/{fileId}"))
        {
            Assert.Equal(Payload.Sha256Of(size, seed: 4), await Payload.Sha256Async(await download.Content.ReadAsStreamAsync()));
        }

        using var scrape = await host.Http.GetAsync("/metrics");
        var samples = Parse(await scrape.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.StartsWith("text/plain", scrape.Content.Headers.ContentType?.MediaType);
        Assert.Equal(size, Value(samples, "filetransfer_bytes", "filetransfer_direction=\"upload\""));
        Assert.Equal(size, Value(samples, "filetransfer_bytes", "filetransfer_direction=\"download\""));
        Assert.Equal(1, Value(samples, "grpcplugins_plugin_calls", "grpcplugins_plugin_name=\"files\"", "rpc_method=\"Store\"", "rpc_grpc_status_code=\"0\""));
        Assert.Equal(1, Value(samples, "grpcplugins_plugin_state", "grpcplugins_plugin_name=\"files\"", "grpcplugins_plugin_state=\"running\""));
    }

    // Prometheus text: "name{label="value",...} number [timestamp]" per sample; comments start with '#'.
    internal static List<(string Name, string Labels, double Value)> Parse(string text) =>
        [.. text.Split('\n')
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line =>
            {
                var brace = line.IndexOf('{');
                var close = line.LastIndexOf('}');
                var name = brace < 0 ? line[..line.IndexOf(' ')] : line[..brace];
                var labels = brace < 0 ? string.Empty : line[(brace + 1)..close];
                var rest = line[((brace < 0 ? name.Length : close + 1) + 1)..].Split(' ');
                return (name, labels, double.Parse(rest[0], CultureInfo.InvariantCulture));
            })];

    private static double Value(List<(string Name, string Labels, double Value)> samples, string metric, params string[] labels)
    {
        var matching = samples.Where(s => (s.Name == metric || s.Name == metric + "_total") && labels.All(l => s.Labels.Contains(l, StringComparison.Ordinal))).ToList();
        Assert.True(matching.Count == 1, $"Expected one sample of {metric} with {string.Join(',', labels)}; found {matching.Count}: {string.Join(" | ", samples.Where(s => s.Name.StartsWith(metric, StringComparison.Ordinal)).Select(s => s.Name + "{" + s.Labels + "} " + s.Value))}");
        return matching[0].Value;
    }
}
