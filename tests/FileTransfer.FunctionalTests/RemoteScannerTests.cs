using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GrpcPlugins.TestSupport;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// The file-transfer host with its content scanner as a remote plugin, by configuration only: the real ContentScanner
/// runs on its own as a service on loopback TCP with mutual TLS (GRPCPLUGINS_LISTEN), and the host attaches to it
/// (Plugins:scanner:Remote) instead of starting it, as docs/deploy.md lays out for many nodes.
/// </summary>
public sealed class RemoteScannerTests
{
    // The EICAR anti-virus test file (eicar.org), harmless by design, built here so no scanner flags this source file.
    private static readonly byte[] Eicar = Encoding.ASCII.GetBytes(
        string.Concat("X5O!P%@AP[4\\PZX54(P^)7CC)7}$", "EICAR-STANDARD-ANTIVIRUS-TEST-FILE", "!$H+H*"));

    [Fact]
    public async Task Put_ScannerIsARemoteService_RefusesEicarStoresCleanAndFailsClosedWhenTheServiceDies()
    {
        using var certificates = new TestCertificates();
        var server = certificates.IssueServer("scanner");
        var client = certificates.IssueClient("node-1");
        await using var scanner = await RemotePluginService.StartAsync(HostProcess.PluginDll("ContentScanner"), [], certificates, server, 0, HostProcess.Timeout);
        await using var host = await HostProcess.StartAsync(
            settings:
            [
                "--Plugins:scanner:Command=",
                $"--Plugins:scanner:Remote:Address=https://127.0.0.1:{scanner.Port}",
                $"--Plugins:scanner:Remote:ServerCertificateSha256={server.Sha256}",
                $"--Plugins:scanner:Remote:ClientCertificateFile={client.Certificate}",
                $"--Plugins:scanner:Remote:ClientKeyFile={client.Key}",
            ]);
        using var http = host.Client(await host.LoginAsync());

        using var eicar = await http.PutAsync("/v1/files/eicar.com", new ByteArrayContent(Eicar));
        var refused = await eicar.Content.ReadFromJsonAsync<JsonElement>();
        using var clean = await http.PutAsync("/v1/files/clean.txt", new ByteArrayContent("nothing to see"u8.ToArray()));
        await scanner.KillAsync(HostProcess.Timeout);
        using var unscanned = await http.PutAsync("/v1/files/unscanned.txt", new ByteArrayContent("scanned by nobody"u8.ToArray()));
        var unavailable = await unscanned.Content.ReadFromJsonAsync<JsonElement>();
        using var listing = JsonDocument.Parse(await http.GetStringAsync("/v1/files"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, eicar.StatusCode);
        Assert.Equal("EICAR-Test-File", refused.GetProperty("threat").GetString());
        Assert.Equal("scanner", refused.GetProperty("scanner").GetString());
        Assert.Equal(HttpStatusCode.Created, clean.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unscanned.StatusCode);
        Assert.Equal("unavailable", unavailable.GetProperty("code").GetString());
        Assert.Contains($"127.0.0.1:{scanner.Port}", unavailable.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(["clean.txt"], ListedNames(listing.RootElement));
    }

    private static IEnumerable<string> ListedNames(JsonElement listing) =>
        listing.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()!).Order(StringComparer.Ordinal);
}
