using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// The content scanner, the host's own plugin type (filetransfer.scanner.v1.ScannerService), run as the real
/// ContentScanner plugin by a real host: refused uploads are not stored, clean ones are, and a scanner that is down
/// fails uploads closed unless the host is told to fail open.
/// </summary>
public sealed class ScannerTests(SharedHost shared) : IClassFixture<SharedHost>
{
    // The EICAR anti-virus test file (eicar.org), harmless by design, built here so no scanner flags this source file.
    private static readonly byte[] Eicar = Encoding.ASCII.GetBytes(
        string.Concat("X5O!P%@AP[4\\PZX54(P^)7CC)7}$", "EICAR-STANDARD-ANTIVIRUS-TEST-FILE", "!$H+H*"));

    [Fact]
    public async Task Put_Eicar_Refused422WithThreatNotListedAndAudited()
    {
        var host = shared.Host;
        using var client = host.Client(await host.LoginAsync());

        using var put = await client.PutAsync("/v1/files/eicar.com", new ByteArrayContent([.. Eicar, .. "\r\n"u8.ToArray()]));
        var problem = await put.Content.ReadFromJsonAsync<JsonElement>();
        var listed = await ListedNamesAsync(client, "eicar");
        var refusal = await AuditedRefusalAsync(host, "eicar.com");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, put.StatusCode);
        Assert.Equal("application/problem+json", put.Content.Headers.ContentType?.MediaType);
        Assert.Equal(422, problem.GetProperty("status").GetInt32());
        Assert.Equal("upload_refused", problem.GetProperty("code").GetString());
        Assert.Equal("malware", problem.GetProperty("reason").GetString());
        Assert.Equal("EICAR-Test-File", problem.GetProperty("threat").GetString());
        Assert.Equal("scanner", problem.GetProperty("scanner").GetString());
        Assert.Contains("EICAR", problem.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(listed);
        var tags = refusal.GetProperty("tags");
        Assert.Equal("malware", tags.GetProperty("reason").GetString());
        Assert.Equal("EICAR-Test-File", tags.GetProperty("threat").GetString());
        Assert.Equal("scanner", tags.GetProperty("scanner").GetString());
        Assert.False(string.IsNullOrEmpty(refusal.GetProperty("userId").GetString()), "The refusal's audit record names no user.");
    }

    [Fact]
    public async Task Put_CleanFile_StoredAndDownloadedWithSameSha256()
    {
        const long size = 5L * 1024 * 1024 + 13;
        var host = shared.Host;
        using var client = host.Client(await host.LoginAsync());

        using var put = await client.PutAsync("/v1/files/clean.bin", new StreamContent(new Payload(size, seed: 21)));
        var stored = await put.Content.ReadFromJsonAsync<JsonElement>();
        using var get = await client.GetAsync($"/v1/files/{stored.GetProperty("id").GetString()}", HttpCompletionOption.ResponseHeadersRead);
        var downloaded = await Payload.Sha256Async(await get.Content.ReadAsStreamAsync());

        var expected = Payload.Sha256Of(size, seed: 21);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(expected, stored.GetProperty("sha256").GetString());
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(expected, downloaded);
        Assert.Equal(["clean.bin"], await ListedNamesAsync(client, "clean"));
    }

    [Fact]
    public async Task Put_EicarInsideALargerFile_Stored()
    {
        var host = shared.Host;
        using var client = host.Client(await host.LoginAsync());
        byte[] content = [.. "A report that quotes the test string: "u8.ToArray(), .. Eicar, .. new byte[200]];

        using var put = await client.PutAsync("/v1/files/quote.txt", new ByteArrayContent(content));

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(["quote.txt"], await ListedNamesAsync(client, "quote"));
    }

    [Fact]
    public async Task Put_Executable_Refused422MediaTypeRefused()
    {
        var host = shared.Host;
        using var client = host.Client(await host.LoginAsync());
        byte[] executable = [(byte)'M', (byte)'Z', 0x90, 0, .. new byte[64 * 1024]];

        using var put = await client.PutAsync("/v1/files/setup.bin", new ByteArrayContent(executable));
        var problem = await put.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, put.StatusCode);
        Assert.Equal("media_type_refused", problem.GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Null, problem.GetProperty("threat").ValueKind);
        Assert.Empty(await ListedNamesAsync(client, "setup"));
    }

    [Fact]
    public async Task Put_PastScannerSizeLimit_Refused422TooLargeBeforeTheEnd()
    {
        await using var host = await HostProcess.StartAsync(settings: "--Plugins:scanner:Config:max_size_bytes=1048576");
        using var client = host.Client(await host.LoginAsync());

        // Sent chunked (no Content-Length), so only the content itself can pass the limit.
        using var put = await client.PutAsync("/v1/files/big.bin", new ChunkedContent(new Payload(8L * 1024 * 1024, seed: 3)));
        var problem = await put.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, put.StatusCode);
        Assert.Equal("too_large", problem.GetProperty("reason").GetString());
        Assert.Contains("1048576", problem.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(await ListedNamesAsync(client, "big"));
    }

    [Fact]
    public async Task ResumableUpload_Eicar_RefusedAtCompletionAndStagingDeleted()
    {
        var host = shared.Host;
        using var client = host.Client(await host.LoginAsync());
        using var create = await client.PostAsJsonAsync("/v1/uploads", new { name = "eicar.txt", size = Eicar.Length });
        var uploadId = (await create.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("uploadId").GetString()!;
        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/v1/uploads/{uploadId}") { Content = new ByteArrayContent(Eicar) };
        patch.Headers.Add("Upload-Offset", "0");
        using var patched = await client.SendAsync(patch);

        using var complete = await client.PostAsync($"/v1/uploads/{uploadId}/complete", null);
        var problem = await complete.Content.ReadFromJsonAsync<JsonElement>();
        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v1/uploads/{uploadId}"));

        Assert.Equal(HttpStatusCode.NoContent, patched.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, complete.StatusCode);
        Assert.Equal("upload_refused", problem.GetProperty("code").GetString());
        Assert.Equal("EICAR-Test-File", problem.GetProperty("threat").GetString());
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Empty(await ListedNamesAsync(client, "eicar"));
    }

    [Fact]
    public async Task ScannerKilled_UploadGets503NamingTheScannerAndNothingStored()
    {
        await using var host = await HostProcess.StartAsync(settings: "--Plugins:scanner:RestartOnCrash=false");
        var token = await host.LoginAsync();
        using var client = host.Client(token);
        await KillAsync(await host.PluginPidAsync(token, "scanner"));

        using var put = await client.PutAsync("/v1/files/unscanned.bin", new StreamContent(new Payload(256 * 1024, seed: 8)));
        var problem = await put.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, put.StatusCode);
        Assert.Equal("unavailable", problem.GetProperty("code").GetString());
        var message = problem.GetProperty("message").GetString()!;
        Assert.Contains("content scanner 'scanner'", message, StringComparison.Ordinal);
        Assert.Contains("FailOpen", message, StringComparison.Ordinal);
        Assert.Empty(await ListedNamesAsync(client, "unscanned"));
    }

    [Fact]
    public async Task ScannerKilledWithFailOpen_UploadStored()
    {
        await using var host = await HostProcess.StartAsync(settings: ["--Plugins:scanner:RestartOnCrash=false", "--FileTransfer:Scanning:FailOpen=true"]);
        var token = await host.LoginAsync();
        using var client = host.Client(token);
        await KillAsync(await host.PluginPidAsync(token, "scanner"));

        using var put = await client.PutAsync("/v1/files/unscanned.bin", new StreamContent(new Payload(256 * 1024, seed: 8)));
        var stored = await put.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(Payload.Sha256Of(256 * 1024, seed: 8), stored.GetProperty("sha256").GetString());
        Assert.Equal(["unscanned.bin"], await ListedNamesAsync(client, "unscanned"));
    }

    [Fact]
    public async Task PluginList_ShowsTheScannerAsARunningCustomPlugin()
    {
        var host = shared.Host;
        using var client = host.Client(await host.LoginAsync());

        var plugins = await client.GetFromJsonAsync<JsonElement>("/v1/plugins");
        var scanner = plugins.GetProperty("plugins").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "scanner");

        Assert.Equal("custom", scanner.GetProperty("type").GetString());
        Assert.Equal("running", scanner.GetProperty("status").GetString());
    }

    private static async Task<List<string>> ListedNamesAsync(HttpClient client, string prefix)
    {
        var page = await client.GetFromJsonAsync<JsonElement>($"/v1/files?prefix={prefix}");
        return [.. page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()!)];
    }

    // The audit log's record of the refusal: a metric event the AuditMonitor writes as a "metric.recorded" line.
    private static async Task<JsonElement> AuditedRefusalAsync(HostProcess host, string fileName)
    {
        var path = Path.Combine(host.DataDir, "audit.log");
        using var deadline = new CancellationTokenSource(HostProcess.Timeout);
        while (true)
        {
            if (File.Exists(path))
            {
                foreach (var line in await File.ReadAllLinesAsync(path, deadline.Token))
                {
                    var record = JsonDocument.Parse(line).RootElement;
                    if (record.GetProperty("event").GetString() == "metric.recorded"
                        && record.TryGetProperty("name", out var name) && name.GetString() == "filetransfer.upload.refused"
                        && record.GetProperty("tags").GetProperty("name").GetString() == fileName)
                    {
                        return record.Clone();
                    }
                }
            }

            await Task.Delay(200, deadline.Token);
        }
    }

    private static async Task KillAsync(int pid)
    {
        using var process = Process.GetProcessById(pid);
        process.Kill();
        await process.WaitForExitAsync().WaitAsync(HostProcess.Timeout);
    }

    // Content sent with Transfer-Encoding: chunked: the length is not known ahead, so Content-Length is not sent.
    private sealed class ChunkedContent(Stream content) : StreamContent(content)
    {
        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
