using System.Net;
using System.Security.Cryptography;
using System.Text.Json;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// The file-transfer host with a runaway plugin beside its example plugins: the runaway one (leaking memory and
/// spinning a core from its start) is killed at its memory limit and restarted, again and again, with a typed reason,
/// while uploads keep being answered.
/// </summary>
public sealed class SandboxTests
{
    private static string TestPluginDll => Path.Combine(HostProcess.RepoRoot, "tests", "GrpcPlugins.TestPlugin", "bin", HostProcess.Configuration, "net10.0", "GrpcPlugins.TestPlugin.dll");

    [Fact]
    public async Task RunawayPlugin_ContainedAndRestartedWithTypedReason_WhileUploadsAreAnswered()
    {
        await using var host = await HostProcess.StartAsync(
            null,
            null,
            "--Plugins:runaway:Services:0=grpcplugins.test.sandbox.v1.SandboxProbeService",
            $"--Plugins:runaway:Command={TestPluginDll}",
            "--Plugins:runaway:Args:0=runaway",
            "--Plugins:runaway:Sandbox:MemoryMiB=128",
            "--Plugins:runaway:Sandbox:CpuPercent=20",
            "--Plugins:runaway:Sandbox:Network=None",
            "--Plugins:runaway:RestartDelay=00:00:00.200",
            "--Plugins:runaway:MaxRestarts=1000");
        var admin = await host.LoginAsync();
        using var client = host.Client(admin);

        // Uploads and downloads while the runaway plugin goes through its limit, until it has been restarted twice.
        var answered = 0;
        JsonElement runaway;
        // Generous: each restart of the runaway plugin is a whole .NET start, slow on a loaded machine.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        while (true)
        {
            var content = RandomNumberGenerator.GetBytes(256 * 1024);
            using var put = await client.PutAsync($"/v1/files/during-{answered}.bin", new ByteArrayContent(content), timeout.Token);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            var id = JsonDocument.Parse(await put.Content.ReadAsStringAsync(timeout.Token)).RootElement.GetProperty("id").GetString();
            var back = await client.GetByteArrayAsync($"/v1/files/{id}", timeout.Token);
            Assert.Equal(SHA256.HashData(content), SHA256.HashData(back));
            answered++;

            using var status = JsonDocument.Parse(await client.GetStringAsync("/v1/plugins/runaway", timeout.Token));
            runaway = status.RootElement.Clone();
            if (runaway.GetProperty("restartCount").GetInt32() >= 2 && runaway.GetProperty("lastError").GetString() is { } error && error.Contains("memory limit", StringComparison.Ordinal))
            {
                break;
            }
        }

        Assert.Contains("memory limit of 128 MiB exceeded", runaway.GetProperty("lastError").GetString());
        Assert.True(answered >= 1);
        using var files = JsonDocument.Parse(await client.GetStringAsync("/v1/plugins/files", timeout.Token));
        Assert.Equal(0, files.RootElement.GetProperty("restartCount").GetInt32());
    }
}
