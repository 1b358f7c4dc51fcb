using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GrpcPlugins.Packaging;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// Trusting a signing key while the file-transfer host runs: a package signed by an unknown key is refused naming the
/// package, the key and how to trust it; `grpcplugins keys add` trusts it with no restart; the key is still trusted
/// after the host restarts; `grpcplugins keys remove` makes the host refuse the builder's packages again.
/// </summary>
public sealed class TrustedKeysTests
{
    [Fact]
    public async Task KeysAddedAtRunTime_InstallWorksAtOnceAndAfterRestart_RefusedOnceRemoved()
    {
        // Arrange
        var work = Directory.CreateTempSubdirectory("ft-keys-").FullName;
        var package = await PluginPackageTests.PackAuditCopyAsync(work, sign: true);
        var upgrade = await PluginPackageTests.PackAuditCopyAsync(work, sign: true, "1.3.0");
        var later = await PluginPackageTests.PackAuditCopyAsync(work, sign: true, "1.4.0");
        var publicKey = Path.Combine(work, "builder.pub.pem");
        var fingerprint = PackageSigner.KeyId(await File.ReadAllTextAsync(publicKey));
        var dataDir = Directory.CreateTempSubdirectory("ft-host-").FullName;

        string refusal;
        FtResult add;
        HttpStatusCode installed;
        await using (var host = await HostProcess.StartAsync(dataDir))
        {
            var token = await host.LoginAsync();
            using var admin = host.Client(token);

            // Act: refused, then trusted with the tool, then installed, with no restart.
            using (var refused = await admin.PostAsync("/v1/plugins/upload", PluginPackageTests.ZipContent(package)))
            {
                Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
                refusal = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("message").GetString()!;
            }

            add = await PluginPackageTests.RunToolAsync(work, "keys", "add", publicKey, "--server", host.BaseUrl, "--token", token);
            using var accepted = await admin.PostAsync("/v1/plugins/upload", PluginPackageTests.ZipContent(package));
            installed = accepted.StatusCode;
        }

        FtResult list, remove;
        HttpStatusCode upgradedAfterRestart, refusedAfterRemove;
        string refusalAfterRemove;
        await using (var host = await HostProcess.StartAsync(dataDir))
        {
            var token = await host.LoginAsync();
            using var admin = host.Client(token);
            list = await PluginPackageTests.RunToolAsync(work, "keys", "list", "--server", host.BaseUrl, "--token", token);
            using (var upgraded = await admin.PostAsync("/v1/plugins/upload", PluginPackageTests.ZipContent(upgrade)))
            {
                upgradedAfterRestart = upgraded.StatusCode;
            }

            remove = await PluginPackageTests.RunToolAsync(work, "keys", "remove", fingerprint, "--server", host.BaseUrl, "--token", token);
            using var refusedAgain = await admin.PostAsync("/v1/plugins/upload", PluginPackageTests.ZipContent(later));
            refusedAfterRemove = refusedAgain.StatusCode;
            refusalAfterRemove = (await refusedAgain.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("message").GetString()!;
        }

        // Assert
        Assert.Contains("'audit-copy 1.2.0'", refusal, StringComparison.Ordinal);
        Assert.Contains(fingerprint, refusal, StringComparison.Ordinal);
        Assert.Contains("grpcplugins keys add", refusal, StringComparison.Ordinal);
        Assert.Contains("FileTransfer:Packages:TrustedKeys", refusal, StringComparison.Ordinal);
        Assert.DoesNotContain(".zip", refusal, StringComparison.Ordinal);
        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Contains(fingerprint, add.Stdout, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, installed);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(fingerprint, list.Stdout, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, upgradedAfterRestart);
        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.Equal(HttpStatusCode.BadRequest, refusedAfterRemove);
        Assert.Contains("'audit-copy 1.4.0'", refusalAfterRemove, StringComparison.Ordinal);
        Assert.Contains(fingerprint, refusalAfterRemove, StringComparison.Ordinal);
    }
}
