using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// Failures the host expects, seen on one raw keep-alive connection: a download whose plugin dies after the last byte
/// completes and the connection keeps serving; one cut short is aborted; a client resetting its own upload is one
/// Warning line. None is logged as an unhandled exception with a stack trace.
/// </summary>
public sealed class ExpectedFailureTests
{
    private const int Size = 100_000;

    private static string TestPluginDll => Path.Combine(HostProcess.RepoRoot, "tests", "GrpcPlugins.TestPlugin", "bin", HostProcess.Configuration, "net10.0", "GrpcPlugins.TestPlugin.dll");

    [Fact]
    public async Task Get_PluginDiesAfterLastByte_ResponseCompletesAndConnectionAnswersNextRequest()
    {
        await using var host = await StartWithDyingStorageAsync();
        var token = await host.LoginAsync();
        var pid = await host.PluginPidAsync(token, "files");
        using var raw = await RawHttp.ConnectAsync(host, token);

        await raw.SendHeadAsync("GET", "/v1/files/dies-after-last-byte");
        var (status, body, complete) = await raw.ReadResponseAsync();
        await raw.SendHeadAsync("GET", "/v1/files?limit=1");
        var (next, _, _) = await raw.ReadResponseAsync();
        await WaitForRestartAsync(host, token, pid);

        Assert.Equal(200, status);
        Assert.True(complete);
        Assert.Equal(Expected(), body);
        Assert.True(next is not null, "The request after the download got no answer on its keep-alive connection:\n" + host.Output);
        AssertNoUnhandled(host);
    }

    [Fact]
    public async Task Get_PluginDiesMidBody_ConnectionAbortedOneWarningLine()
    {
        await using var host = await StartWithDyingStorageAsync();
        using var raw = await RawHttp.ConnectAsync(host, await host.LoginAsync());

        await raw.SendHeadAsync("GET", "/v1/files/dies-mid-body");
        var (status, body, complete) = await raw.ReadResponseAsync();
        await WaitForLogAsync(host, "dies-mid-body");

        Assert.Equal(200, status);
        Assert.False(complete);
        Assert.True(body.Length < 2 * Size);
        AssertWarning(host, "/v1/files/dies-mid-body");
        AssertNoUnhandled(host);
    }

    [Fact]
    public async Task Put_ClientResetsItsUpload_OneWarningLineNoStackTrace()
    {
        await using var host = await HostProcess.StartAsync();
        var token = await host.LoginAsync();
        using (var raw = await RawHttp.ConnectAsync(host, token))
        {
            await raw.SendHeadAsync("PUT", "/v1/files/reset.bin", contentLength: 64L * 1024 * 1024);
            await raw.SendBodyAsync(new byte[1024 * 1024]);
            // Reset only once the storage plugin is writing the upload: a reset that arrives before the host has read
            // the request ends the connection before any request exists, and tests nothing.
            var writing = Stopwatch.StartNew();
            var temp = Path.Combine(host.DataDir, "files", ".tmp");
            for (long sent = 1024 * 1024; !Directory.Exists(temp) || Directory.GetFiles(temp).Length == 0;)
            {
                Assert.True(writing.Elapsed < HostProcess.Timeout, "The upload never reached the storage plugin.");
                if (sent < 32L * 1024 * 1024)
                {
                    await raw.SendBodyAsync(new byte[64 * 1024]);
                    sent += 64 * 1024;
                }

                await Task.Delay(50);
            }

            raw.Reset();
        }

        await WaitForLogAsync(host, "/v1/files/reset.bin");
        using var client = host.Client(token);
        var files = await client.GetFromJsonAsync<JsonElement>("/v1/files?prefix=reset.bin");

        AssertWarning(host, "/v1/files/reset.bin");
        Assert.Empty(files.GetProperty("items").EnumerateArray());
        AssertNoUnhandled(host);
    }

    private static Task<HostProcess> StartWithDyingStorageAsync() =>
        HostProcess.StartAsync(null, null, $"--Plugins:files:Command={TestPluginDll}", "--Plugins:files:Args:0=liar", "--Plugins:files:DataChannel=false");

    // The plugin kills itself after the download; the log is complete once the supervisor has replaced it.
    private static async Task WaitForRestartAsync(HostProcess host, string token, int pid)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await host.PluginPidAsync(token, "files") != pid)
                {
                    break;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or KeyNotFoundException)
            {
                // No pid while it restarts.
            }

            Assert.True(waited.Elapsed < HostProcess.Timeout, $"The storage plugin was not restarted:\n{host.Output}");
            await Task.Delay(100);
        }

        await Task.Delay(300);
    }

    private static byte[] Expected() => [.. Enumerable.Range(0, Size).Select(i => (byte)(i % 251))];

    // The host logs the request's outcome once it is handled; waiting for it keeps the log assertions honest.
    private static async Task WaitForLogAsync(HostProcess host, string text)
    {
        var waited = Stopwatch.StartNew();
        while (!host.Output.Contains(text, StringComparison.Ordinal))
        {
            Assert.True(waited.Elapsed < HostProcess.Timeout, $"The host logged nothing about {text}:\n{host.Output}");
            await Task.Delay(50);
        }

        // Lines written in the same moment by other categories.
        await Task.Delay(300);
    }

    // The console log puts the level and category on one line and the message on the next.
    private static void AssertWarning(HostProcess host, string text)
    {
        var lines = host.Output.Split('\n');
        Assert.Contains(Enumerable.Range(1, Math.Max(0, lines.Length - 1)), i => lines[i - 1].StartsWith("warn: ", StringComparison.Ordinal) && lines[i].Contains(text, StringComparison.Ordinal));
    }

    private static void AssertNoUnhandled(HostProcess host)
    {
        Assert.DoesNotContain("unhandled exception", host.Output, StringComparison.OrdinalIgnoreCase);
        // The host's own lines only: a plugin's SDK logging its cancelled call is the plugin's (a known, separate issue).
        Assert.DoesNotContain(host.Output.Split('\n'), l => l.Contains("failed unexpectedly", StringComparison.Ordinal) && !l.Contains("[scanner]", StringComparison.Ordinal) && !l.Contains("[files]", StringComparison.Ordinal));
        Assert.DoesNotContain("fail: Microsoft.AspNetCore", host.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("fail: FileTransfer.Host", host.Output, StringComparison.Ordinal);
    }
}
