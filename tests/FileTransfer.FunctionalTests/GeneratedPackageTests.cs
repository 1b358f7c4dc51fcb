using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// The plugin package produced from the project: <c>dotnet publish -p:GrpcPluginPackage=true</c> of an example plugin
/// writes plugin.json from its project (name, version, type, config schema, entry point), signs and zips it; the
/// file-transfer host installs it through its management API and runs it, with the project's version.
/// </summary>
public sealed class GeneratedPackageTests
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task PublishWithGrpcPluginPackage_SignedPackage_InstallsAndRunsWithTheProjectVersion()
    {
        var work = Directory.CreateTempSubdirectory("ft-generated-").FullName;
        var tool = Path.Combine(HostProcess.RepoRoot, "src", "GrpcPlugins.Cli", "bin", HostProcess.Configuration, "net10.0", "grpcplugins.dll");
        var keygen = await RunAsync(work, tool, "keygen", "-o", "builder");
        Assert.True(keygen.ExitCode == 0, keygen.Output);
        var package = Path.Combine(work, "audit-generated.zip");
        var project = Path.Combine(HostProcess.RepoRoot, "examples", "plugins", "AuditMonitor", "AuditMonitor.csproj");

        // --no-build: the package is made from the build the tests run on, as CI would publish it.
        var publish = await RunAsync(work, "publish", project, "--no-build", "-c", HostProcess.Configuration, "-o", Path.Combine(work, "publish"),
            "-p:GrpcPluginPackage=true", "-p:GrpcPluginName=audit-generated", $"-p:GrpcPluginSigningKey={Path.Combine(work, "builder.key.pem")}",
            $"-p:GrpcPluginPackageOutput={package}");
        Assert.True(publish.ExitCode == 0, publish.Output);
        var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(work, "publish", "plugin.json"))).RootElement;
        var projectVersion = FileVersionInfo.GetVersionInfo(Path.Combine(work, "publish", "AuditMonitor.dll")).ProductVersion!.Split('+')[0];

        JsonElement started, shown;
        await using (var host = await HostProcess.StartAsync(null, null, $"--FileTransfer:Packages:TrustedKeys:0={Path.Combine(work, "builder.pub.pem")}"))
        {
            using var admin = host.Client(await host.LoginAsync());
            var content = new ByteArrayContent(await File.ReadAllBytesAsync(package));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
            using var upload = await admin.PostAsync("/v1/plugins/upload", content);
            Assert.True(upload.StatusCode == HttpStatusCode.Created, await upload.Content.ReadAsStringAsync());
            using var start = await admin.PutAsync("/v1/plugins/audit-generated", JsonContent.Create(new { status = "running" }));
            started = await start.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(start.StatusCode == HttpStatusCode.OK, started.ToString());
            shown = await admin.GetFromJsonAsync<JsonElement>("/v1/plugins/audit-generated");
        }

        Assert.Equal("audit-generated", manifest.GetProperty("name").GetString());
        Assert.Equal(projectVersion, manifest.GetProperty("version").GetString());
        Assert.Equal("monitor", manifest.GetProperty("types")[0].GetString());
        Assert.Equal("AuditMonitor.dll", manifest.GetProperty("entrypoint").GetProperty("command").GetString());
        Assert.Equal("audit_log", manifest.GetProperty("configSchema").GetProperty("required")[0].GetString());
        Assert.Equal("running", shown.GetProperty("status").GetString());
        Assert.Equal(projectVersion, shown.GetProperty("metadata").GetProperty("version").GetString());
        Assert.False(string.IsNullOrEmpty(shown.GetProperty("metadata").GetProperty("signedBy").GetString()));
        Assert.True(started.GetProperty("pid").GetInt32() > 0);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string workDir, string first, params string[] args)
    {
        var startInfo = new ProcessStartInfo("dotnet") { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        startInfo.ArgumentList.Add(first);
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(PublishTimeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout.WaitAsync(PublishTimeout) + await stderr.WaitAsync(PublishTimeout));
    }
}
