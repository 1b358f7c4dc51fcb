using System.Diagnostics;
using GrpcPlugins.TestSupport;
using YamlDotNet.RepresentationModel;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// The production layout's files in deploy/ (docs/deploy.md) are well-formed: no cluster is available here to apply the
/// Kubernetes manifests, so they are parsed and cross-checked; the systemd units go through systemd-analyze verify and
/// the nginx example through nginx -t.
/// </summary>
public sealed class DeployFilesTests
{
    private static readonly string Deploy = Path.Combine(HostProcess.RepoRoot, "deploy");

    [Fact]
    public void KubernetesManifests_Parse_EveryReferenceResolvesAndEveryServiceSelectsADeployment()
    {
        var documents = Directory.GetFiles(Path.Combine(Deploy, "kubernetes"), "*.yaml")
            .SelectMany(file =>
            {
                var stream = new YamlStream();
                using var reader = new StreamReader(file);
                stream.Load(reader);
                return stream.Documents.Select(d => (File: Path.GetFileName(file), Root: (YamlMappingNode)d.RootNode));
            })
            .ToList();
        string Kind(YamlMappingNode root) => Scalar(root, "kind");
        var names = documents.Select(d => (Kind(d.Root), Scalar(Map(d.Root, "metadata"), "name"))).ToHashSet();
        var deployments = documents.Where(d => Kind(d.Root) == "Deployment").ToList();

        Assert.All(documents, d =>
        {
            Assert.False(string.IsNullOrEmpty(Scalar(d.Root, "apiVersion")), $"{d.File}: a document without apiVersion");
            Assert.False(string.IsNullOrEmpty(Scalar(Map(d.Root, "metadata"), "name")), $"{d.File}: a document without metadata.name");
        });
        Assert.Equal(["ConfigMap", "Deployment", "Secret", "Service"], names.Select(n => n.Item1).Distinct().Order(StringComparer.Ordinal));
        foreach (var deployment in deployments)
        {
            var spec = Map(deployment.Root, "spec");
            var podLabels = Map(Map(Map(spec, "template"), "metadata"), "labels");
            Assert.All(Map(Map(spec, "selector"), "matchLabels").Children, l => Assert.Equal(l.Value.ToString(), podLabels[l.Key].ToString()));
            var pod = Map(Map(spec, "template"), "spec");
            foreach (var container in ((YamlSequenceNode)pod["containers"]).Cast<YamlMappingNode>())
            {
                var sources = container.Children.TryGetValue(new YamlScalarNode("envFrom"), out var from) ? ((YamlSequenceNode)from).Cast<YamlMappingNode>() : [];
                foreach (var source in sources)
                {
                    var (kind, key) = source.Children.ContainsKey(new YamlScalarNode("configMapRef")) ? ("ConfigMap", "configMapRef") : ("Secret", "secretRef");
                    Assert.Contains((kind, Scalar(Map(source, key), "name")), names);
                }
            }

            foreach (var volume in ((YamlSequenceNode)pod["volumes"]).Cast<YamlMappingNode>().Where(v => v.Children.ContainsKey(new YamlScalarNode("secret"))))
            {
                Assert.Contains(("Secret", Scalar(Map(volume, "secret"), "secretName")), names);
            }
        }

        foreach (var service in documents.Where(d => Kind(d.Root) == "Service"))
        {
            var selector = Map(Map(service.Root, "spec"), "selector");
            Assert.Contains(deployments, d => selector.Children.All(s =>
                Map(Map(Map(Map(d.Root, "spec"), "template"), "metadata"), "labels").Children.TryGetValue(s.Key, out var v) && v.ToString() == s.Value.ToString()));
        }
    }

    [Fact]
    public async Task SystemdUnits_Verify_OnlyTheNotInstalledProgramsAreMissing()
    {
        Assert.SkipUnless(File.Exists("/usr/bin/systemd-analyze"), "systemd-analyze is not installed (Debian's systemd; tests/run-all.sh installs it).");
        var units = Directory.GetFiles(Path.Combine(Deploy, "systemd"), "*.service");

        var (_, stdout, stderr) = await ProcessRunner.RunAsync("/usr/bin/systemd-analyze", ["verify", .. units], TimeSpan.FromMinutes(1));

        // The programs live in /opt/filetransfer once published; anything else systemd says is a mistake in a unit.
        var problems = (stdout + stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.Contains("is not executable: No such file or directory", StringComparison.Ordinal))
            .ToList();
        Assert.Equal(2, units.Length);
        Assert.Empty(problems);
    }

    [Fact]
    public async Task NginxExample_Test_ConfigurationIsAccepted()
    {
        Assert.SkipUnless(File.Exists("/usr/sbin/nginx"), "nginx is not installed (Debian's nginx; tests/run-all.sh installs it).");
        using var certificates = new TestCertificates();
        var (certificate, key, _) = certificates.IssueServer("files.example.com");
        var site = Path.Combine(certificates.Folder, "site.conf");
        await File.WriteAllTextAsync(site, (await File.ReadAllTextAsync(Path.Combine(Deploy, "nginx", "filetransfer.conf")))
            .Replace("/etc/nginx/tls/files.example.com.crt", certificate, StringComparison.Ordinal)
            .Replace("/etc/nginx/tls/files.example.com.key", key, StringComparison.Ordinal));
        var folder = certificates.Folder;
        var main = Path.Combine(folder, "nginx.conf");
        await File.WriteAllTextAsync(main, $$"""
            pid {{folder}}/nginx.pid;
            error_log stderr;
            events {}
            http {
              client_body_temp_path {{folder}}/body; proxy_temp_path {{folder}}/proxy; fastcgi_temp_path {{folder}}/fastcgi;
              uwsgi_temp_path {{folder}}/uwsgi; scgi_temp_path {{folder}}/scgi;
              access_log off;
              include {{site}};
            }
            """);

        var (exitCode, _, stderr) = await ProcessRunner.RunAsync("/usr/sbin/nginx", ["-t", "-e", "stderr", "-p", folder, "-c", main], TimeSpan.FromMinutes(1));

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("test is successful", stderr, StringComparison.Ordinal);
    }

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node[key];

    private static string Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value ?? string.Empty : string.Empty;
}
