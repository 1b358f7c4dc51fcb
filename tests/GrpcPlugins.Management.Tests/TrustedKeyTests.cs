using System.Net;
using System.Text;
using System.Text.Json;

namespace GrpcPlugins.Management.Tests;

/// <summary>
/// Signing keys trusted at run time: a package signed by an unknown key is refused naming the package, the key and the
/// command that trusts it; the key is added through the API (or the tool) and the same package installs at once, with
/// no restart; the key is still trusted after the host restarts; removed, the package is refused again.
/// </summary>
public sealed class TrustedKeyTests
{
    [Fact]
    public async Task Keys_AddedThroughApi_TrustedAtOnceAndAfterRestartAndRefusedOnceRemoved()
    {
        // Arrange
        var work = Directory.CreateTempSubdirectory("mgmt-keys-").FullName;
        var (_, configured) = TestPackages.Key(work);
        var builderDir = Directory.CreateTempSubdirectory("mgmt-keys-builder-").FullName;
        var (builderKey, builderPublic) = TestPackages.Key(builderDir);
        var fingerprint = GrpcPlugins.Packaging.PackageSigner.KeyId(File.ReadAllText(builderPublic));
        var package = TestPackages.EchoAuth(builderDir, builderKey);
        var pluginsDir = Path.Combine(work, "plugins");
        var host = await MinimalHost.StartAsync(configured, pluginsDir: pluginsDir);
        HttpStatusCode restartedUpload;
        JsonElement restartedKeys;
        try
        {
            using var admin = host.Client(MinimalHost.AdminToken);
            using var reader = host.Client(MinimalHost.ReaderToken);

            // Act: refused, trusted, installed.
            using var refused = await admin.PostAsync("/v1/plugins/upload", ManagementApiTests.Zip(package));
            var refusal = await ProblemMessageAsync(refused);
            using var readerAdd = await reader.PostAsync("/v1/plugins/keys", Pem(builderPublic));
            using var privateAdd = await admin.PostAsync("/v1/plugins/keys", new StringContent(builderKey, Encoding.UTF8, "application/x-pem-file"));
            using var add = await admin.PostAsync("/v1/plugins/keys", Pem(builderPublic));
            var added = JsonDocument.Parse(await add.Content.ReadAsStringAsync()).RootElement.Clone();
            using var addAgain = await admin.PostAsync("/v1/plugins/keys", Pem(builderPublic));
            var keys = JsonDocument.Parse(await admin.GetStringAsync("/v1/plugins/keys")).RootElement.Clone();
            using var accepted = await admin.PostAsync("/v1/plugins/upload", ManagementApiTests.Zip(package));
            using var removeConfigured = await admin.DeleteAsync("/v1/plugins/keys/" + GrpcPlugins.Packaging.PackageSigner.KeyId(File.ReadAllText(configured)));
            var removeConfiguredMessage = await ProblemMessageAsync(removeConfigured);
            using var uninstall = await admin.DeleteAsync("/v1/plugins/echo-auth");

            // Assert (first run)
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("'echo-auth 1.0.0'", refusal);
            Assert.Contains(fingerprint, refusal);
            Assert.Contains("grpcplugins keys add", refusal);
            Assert.Contains("PluginManagement:TrustedKeys", refusal);
            Assert.DoesNotContain(".zip", refusal);
            Assert.Equal(HttpStatusCode.Forbidden, readerAdd.StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, privateAdd.StatusCode);
            Assert.Equal(HttpStatusCode.Created, add.StatusCode);
            Assert.Equal(fingerprint, added.GetProperty("fingerprint").GetString());
            Assert.Equal("runtime", added.GetProperty("source").GetString());
            Assert.Equal(HttpStatusCode.OK, addAgain.StatusCode);
            Assert.Equal(["config", "runtime"], keys.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("source").GetString()!));
            Assert.True(accepted.StatusCode == HttpStatusCode.Created, await accepted.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.Conflict, removeConfigured.StatusCode);
            Assert.Contains("PluginManagement:TrustedKeys", removeConfiguredMessage);
            Assert.Equal(HttpStatusCode.NoContent, uninstall.StatusCode);
        }
        finally
        {
            await host.DisposeAsync();
        }

        // Act: the host restarts on the same folder; the key is still trusted, then removed with the tool.
        host = await MinimalHost.StartAsync(configured, pluginsDir: pluginsDir);
        await using (host)
        {
            using var admin = host.Client(MinimalHost.AdminToken);
            restartedKeys = JsonDocument.Parse(await admin.GetStringAsync("/v1/plugins/keys")).RootElement.Clone();
            using (var upload = await admin.PostAsync("/v1/plugins/upload", ManagementApiTests.Zip(package)))
            {
                restartedUpload = upload.StatusCode;
            }

            using (await admin.DeleteAsync("/v1/plugins/echo-auth"))
            {
            }

            string[] remote = ["--server", host.BaseUrl, "--token", MinimalHost.AdminToken];
            var list = await CliTests.RunToolAsync(work, ["keys", "list", .. remote]);
            var remove = await CliTests.RunToolAsync(work, ["keys", "remove", fingerprint, .. remote]);
            using var refusedAgain = await admin.PostAsync("/v1/plugins/upload", ManagementApiTests.Zip(package));
            var readd = await CliTests.RunToolAsync(work, ["keys", "add", builderPublic, .. remote]);
            using var acceptedAgain = await admin.PostAsync("/v1/plugins/upload", ManagementApiTests.Zip(package));
            var noServer = await CliTests.RunToolAsync(work, "keys", "list");

            // Assert (after the restart)
            Assert.Contains(restartedKeys.GetProperty("keys").EnumerateArray(), k => k.GetProperty("fingerprint").GetString() == fingerprint);
            Assert.Equal(HttpStatusCode.Created, restartedUpload);
            Assert.True(list.ExitCode == 0, list.ToString());
            Assert.Contains(fingerprint, list.Stdout);
            Assert.True(remove.ExitCode == 0, remove.ToString());
            Assert.Equal(HttpStatusCode.BadRequest, refusedAgain.StatusCode);
            Assert.Contains(fingerprint, await ProblemMessageAsync(refusedAgain));
            Assert.True(readd.ExitCode == 0, readd.ToString());
            Assert.Contains("trusted key " + fingerprint, readd.Stdout);
            Assert.Equal(HttpStatusCode.Created, acceptedAgain.StatusCode);
            Assert.Equal(2, noServer.ExitCode);
            Assert.Contains("--server", noServer.Stderr);
        }
    }

    private static StringContent Pem(string path) => new(File.ReadAllText(path), Encoding.UTF8, "application/x-pem-file");

    private static async Task<string> ProblemMessageAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString()!;
}
