using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// The file-transfer host with examples/plugins/PythonStorage (Python, grpcio) as its storage plugin, end to end
/// through the HTTP API: what a user uploads comes back byte for byte, lists, ranges and deletes, and an upload cut
/// off half-way leaves nothing behind.
/// </summary>
public sealed class PythonStoragePluginTests
{
    private static string Launcher => PythonPlugins.Launcher("PythonStorage");

    // The storage runs confined as the host's "files" (appsettings.json: it writes only its root, no network).
    private static string[] Settings(string root) => [$"--Plugins:files:Command={Launcher}", $"--Plugins:files:Config:root={root}", .. PythonPlugins.SandboxReads("files")];

    [Fact]
    public async Task Api_PythonStorage_UploadListDownloadRangeDelete()
    {
        var (dataDir, root) = Folders();
        await PythonPlugins.BuildAsync("PythonStorage");
        await using var host = await HostProcess.StartAsync(dataDir, null, Settings(root));
        var token = await host.LoginAsync();
        using var client = host.Client(token);
        var content = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);

        using var put = await client.PutAsync("/v1/files/py-report.bin", new ByteArrayContent(content));
        var id = (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        using var other = await client.PutAsync("/v1/files/py-other.txt", new StringContent("other"));
        var page1 = await client.GetFromJsonAsync<JsonElement>("/v1/files?prefix=py-&limit=1");
        var page2 = await client.GetFromJsonAsync<JsonElement>($"/v1/files?prefix=py-&limit=1&pageToken={Uri.EscapeDataString(page1.GetProperty("nextPageToken").GetString()!)}");
        var back = await client.GetByteArrayAsync($"/v1/files/{id}");
        using var rangeRequest = new HttpRequestMessage(HttpMethod.Get, $"/v1/files/{id}") { Headers = { Range = new RangeHeaderValue(1000, 1099) } };
        using var range = await client.SendAsync(rangeRequest);
        var rangeBytes = await range.Content.ReadAsByteArrayAsync();
        using var delete = await client.DeleteAsync($"/v1/files/{id}");
        using var gone = await client.GetAsync($"/v1/files/{id}");
        // Confined, the plugin's pid is bubblewrap's, and the Python process its child.
        var pluginCommandLine = HostProcess.TreeCommandLines(await host.PluginPidAsync(token, "files"));

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
        Assert.Contains("storage_plugin.py", pluginCommandLine);
        Assert.Equal("py-other.txt", page1.GetProperty("items")[0].GetProperty("name").GetString());
        Assert.Equal("py-report.bin", page2.GetProperty("items")[0].GetProperty("name").GetString());
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(back));
        Assert.Equal(HttpStatusCode.PartialContent, range.StatusCode);
        Assert.Equal(content.AsSpan(1000, 100).ToArray(), rangeBytes);
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.False(File.Exists(Path.Combine(root, "objects", id)));
    }

    [Fact]
    public async Task Api_PythonStorage_UploadCutOffHalfWay_LeavesNothing()
    {
        var (dataDir, root) = Folders();
        await PythonPlugins.BuildAsync("PythonStorage");
        await using var host = await HostProcess.StartAsync(dataDir, null, Settings(root));
        using var client = host.Client(await host.LoginAsync());

        // The client sends 2 MiB of a longer upload, then stalls, and the user cancels: HttpClient aborts the request.
        using var cancel = new CancellationTokenSource();
        var source = new StallingStream(2 * 1024 * 1024);
        using var cut = new StreamContent(source);
        cut.Headers.ContentLength = 8 * 1024 * 1024;
        var upload = client.PutAsync("/v1/files/cut.bin", cut, cancel.Token);
        await source.Stalled.WaitAsync(HostProcess.Timeout);
        await Task.Delay(500); // let the host pass what it has on to the plugin
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => upload.WaitAsync(HostProcess.Timeout));

        // The plugin may still be finishing the cancelled call: wait, bounded, until its temporary part is gone.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Directory.EnumerateFileSystemEntries(Path.Combine(root, "tmp")).Any() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var listing = await client.GetFromJsonAsync<JsonElement>("/v1/files?prefix=cut");
        var stats = await client.GetFromJsonAsync<JsonElement>("/v1/stats");
        Assert.Equal(0, listing.GetProperty("items").GetArrayLength());
        Assert.Equal(0, stats.GetProperty("totalItems").GetInt64());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(root, "objects")));
        Assert.True(!Directory.EnumerateFileSystemEntries(Path.Combine(root, "tmp")).Any(), "A part of the cut-off upload is left in tmp/. Host output:\n" + host.Output);
    }

    private static (string DataDir, string Root) Folders()
    {
        var dataDir = Directory.CreateTempSubdirectory("ft-host-py-").FullName;
        return (dataDir, Path.Combine(dataDir, "pyfiles"));
    }

    // Gives random bytes up to a limit, then waits until the read is cancelled, as a client whose source stalled.
    private sealed class StallingStream(long stallAfter) : Stream
    {
        private readonly TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _sent;

        public Task Stalled => _stalled.Task;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _sent; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_sent >= stallAfter)
            {
                _stalled.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            var n = (int)Math.Min(buffer.Length, stallAfter - _sent);
            RandomNumberGenerator.Fill(buffer.Span[..n]);
            _sent += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
