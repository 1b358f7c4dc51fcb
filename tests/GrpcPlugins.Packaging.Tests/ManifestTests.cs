using System.Text;
using System.Text.Json.Nodes;
using GrpcPlugins.Plugin.V1;

namespace GrpcPlugins.Packaging.Tests;

public sealed class ManifestTests
{
    [Fact]
    public void Parse_FullManifest_EveryFieldRead()
    {
        var json = TestPackages.Manifest();
        json["files"] = new JsonObject { ["Sample.dll"] = new string('a', 64) };
        json["reconfigure"] = "restart";

        var manifest = PluginManifest.Parse(Encoding.UTF8.GetBytes(json.ToJsonString()));

        Assert.Equal("sample", manifest.Name);
        Assert.Equal("1.0.0", manifest.Version.ToString());
        Assert.Equal(["Jane Doe <jane@example.com>"], manifest.Authors);
        Assert.Equal(new PackageAuthor("Builds", "builds@example.com"), manifest.Builder);
        Assert.Equal("https://example.com/sample", manifest.SourceUrl.ToString());
        Assert.Equal(new DateTimeOffset(2026, 1, 31, 12, 0, 0, TimeSpan.Zero), manifest.BuildTime);
        Assert.Equal([PluginType.Monitor], manifest.Types);
        Assert.Equal("Sample.dll", manifest.Entrypoint.Command);
        Assert.Equal(["v1"], manifest.ApiVersions);
        Assert.True(manifest.HostVersions.IsSatisfiedBy(PluginVersion.Parse("1.9")));
        Assert.Equal(500, manifest.Priority);
        Assert.Equal(ReconfigureMode.Restart, manifest.Reconfigure);
        Assert.Null(manifest.Signature);
    }

    [Fact]
    public void Parse_EmptyObject_ListsEveryMissingField()
    {
        var error = Assert.Throws<PackageException>(() => PluginManifest.Parse("{}"u8));

        Assert.Equal(PackageProblem.ManifestInvalid, error.Problem);
        foreach (var field in new[] { "name", "version", "description", "authors", "builder", "sourceUrl", "buildTime", "types", "entrypoint", "apiVersions", "hostVersions", "priority", "files" })
        {
            Assert.Contains(error.Reasons, r => r.StartsWith($"'{field}' is missing", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("name", "\"../x\"", "'name' is \"../x\"")]
    [InlineData("version", "\"one\"", "'version' is \"one\"")]
    [InlineData("types", "[\"database\"]", "'types' holds \"database\"")]
    [InlineData("hostVersions", "\"=> 1.0\"", "'hostVersions'")]
    [InlineData("priority", "\"high\"", "'priority' must be a whole number")]
    [InlineData("sourceUrl", "\"ftp://x\"", "'sourceUrl' is \"ftp://x\"")]
    [InlineData("apiVersions", "[\"1\"]", "'apiVersions' holds \"1\"")]
    [InlineData("configSchema", "{\"type\": \"string\"}", "'configSchema' must have \"type\": \"object\"")]
    [InlineData("configSchema", "{\"type\": \"object\", \"$ref\": \"https://example.com/s.json\"}", "only local references")]
    [InlineData("files", "{\"../a\": \"00\"}", "zip-slip")]
    [InlineData("buildTime", "\"yesterday\"", "'buildTime' is \"yesterday\"")]
    [InlineData("reconfigure", "\"reload\"", "'reconfigure' must be")]
    [InlineData("services", "[\"/acme.v1.Scanner/Scan\"]", "'services' holds \"/acme.v1.Scanner/Scan\"")]
    [InlineData("services", "[\"acme.v1.Scanner\", \"acme.v1.Scanner\"]", "'services' lists \"acme.v1.Scanner\" twice")]
    [InlineData("types", "[\"custom\"]", "'types' holds \"custom\" but 'services' is missing")]
    public void Parse_MalformedField_NamesFieldAndFix(string field, string value, string expected)
    {
        var json = TestPackages.Manifest();
        json["files"] = new JsonObject { ["Sample.dll"] = new string('a', 64) };
        json[field] = JsonNode.Parse(value);

        var error = Assert.Throws<PackageException>(() => PluginManifest.Parse(Encoding.UTF8.GetBytes(json.ToJsonString())));

        Assert.Contains(error.Reasons, r => r.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_CustomTypeWithServices_ListsThem()
    {
        var json = TestPackages.Manifest();
        json["files"] = new JsonObject { ["Sample.dll"] = new string('a', 64) };
        json["types"] = new JsonArray("custom");
        json["services"] = new JsonArray("acme.scanner.v1.ScannerService", "acme.audit.v1.AuditService");

        var manifest = PluginManifest.Parse(Encoding.UTF8.GetBytes(json.ToJsonString()));

        Assert.Equal([PluginType.Custom], manifest.Types);
        Assert.Equal(["acme.scanner.v1.ScannerService", "acme.audit.v1.AuditService"], manifest.Services);
    }

    [Fact]
    public void Parse_Latin1Description_ManifestInvalidSayingUtf8()
    {
        // A manifest saved as Latin-1: valid JSON structure, but "é" is the lone byte 0xE9 inside a string.
        var json = TestPackages.Manifest();
        json["files"] = new JsonObject { ["Sample.dll"] = new string('a', 64) };
        json["description"] = "caf\u00e9";
        var bytes = Encoding.Latin1.GetBytes(json.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));

        var error = Assert.Throws<PackageException>(() => PluginManifest.Parse(bytes));

        Assert.Equal(PackageProblem.ManifestInvalid, error.Problem);
        Assert.Equal(GrpcPlugins.PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("not json")]
    [InlineData("{\"name\": \"a\", \"name\": \"b\"}")]
    public void Parse_NotAnObject_ManifestInvalid(string text)
    {
        var error = Assert.Throws<PackageException>(() => PluginManifest.Parse(Encoding.UTF8.GetBytes(text)));

        Assert.Equal(PackageProblem.ManifestInvalid, error.Problem);
    }

    [Fact]
    public void CanonicalBytes_KeyOrderAndWhitespace_SameBytes()
    {
        var a = PluginManifest.FromJson(Complete());
        var reordered = new JsonObject(Complete().Reverse().Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        var b = PluginManifest.Parse(Encoding.UTF8.GetBytes(reordered.ToJsonString(new() { WriteIndented = true })));

        Assert.Equal(a.CanonicalBytes(), b.CanonicalBytes());
    }

    [Fact]
    public void Sign_ThenVerify_ValidOnlyForSigningKey()
    {
        var (privateKey, publicKey) = PackageSigner.CreateKey();
        var signed = PackageSigner.Sign(PluginManifest.FromJson(Complete()), privateKey);
        var other = PackageSigner.CreateKey().PublicKeyPem;

        Assert.True(PackageSigner.IsValid(signed, publicKey));
        Assert.False(PackageSigner.IsValid(signed, other));
        Assert.Equal(PackageSigner.KeyId(publicKey), signed.Signature!.KeyId);
        Assert.Equal(PackageSigner.KeyId(privateKey), PackageSigner.KeyId(publicKey));
    }

    [Theory]
    [InlineData("~> 1.2", "1.2.0", true)]
    [InlineData("~> 1.2", "1.9.9", true)]
    [InlineData("~> 1.2", "2.0.0", false)]
    [InlineData("~> 1.2", "1.1.9", false)]
    [InlineData("~> 1.2.3", "1.2.9", true)]
    [InlineData("~> 1.2.3", "1.3.0", false)]
    [InlineData(">= 1.0, < 2", "1.5.0", true)]
    [InlineData(">= 1.0, < 2", "2.0.0", false)]
    [InlineData("> 1.0", "1.0.0", false)]
    [InlineData("<= 1.0", "1.0.0", true)]
    [InlineData("== 1.0.0", "1.0", true)]
    [InlineData("1.0.0", "1.0.1", false)]
    [InlineData(">= 1.0", "1.0.0-beta", false)]
    [InlineData("< 1.0", "1.0.0-beta", true)]
    public void VersionConstraint_Operators_MatchRebarSemantics(string constraint, string version, bool expected)
    {
        Assert.Equal(expected, VersionConstraint.Parse(constraint).IsSatisfiedBy(PluginVersion.Parse(version)));
    }

    [Theory]
    [InlineData("=> 1.0")]
    [InlineData(">= ")]
    [InlineData("~> 1.x")]
    [InlineData(">= 1.0,, < 2")]
    public void VersionConstraint_Malformed_FormatExceptionNamesOperators(string constraint)
    {
        var error = Assert.Throws<FormatException>(() => VersionConstraint.Parse(constraint));

        Assert.Contains("~>, >=, >, <=, < or ==", error.Message);
    }

    [Fact]
    public void PluginConfig_DefaultsAndStrings_InitMapHasEverySetting()
    {
        var manifest = PluginManifest.FromJson(Complete());

        var config = PluginConfig.Check(manifest, new JsonObject { ["name"] = "x" });
        var strings = PluginConfig.ToStrings(config);

        Assert.Equal("8080", strings["port"]);
        Assert.Equal("x", strings["name"]);
    }

    [Fact]
    public void Parse_SandboxDeclared_ResourcesAndPermissionsRead()
    {
        var json = Complete();
        json["resources"] = JsonNode.Parse("""{"memoryMiB": 128, "cpuPercent": 50, "maxProcesses": 64, "maxOpenFiles": 256}""");
        json["permissions"] = JsonNode.Parse("""{"callbacks": ["kv"], "write": ["{DataDir}/files"], "network": "none"}""");

        var manifest = PluginManifest.FromJson(json);
        var undeclared = PluginManifest.FromJson(Complete());

        Assert.Equal(new PluginResources(128, 50, 64, 256), manifest.Resources);
        Assert.Equal(["kv"], manifest.Permissions.Callbacks);
        Assert.Equal(["{DataDir}/files"], manifest.Permissions.Write);
        Assert.Equal([], manifest.Permissions.Read); // Confined: only what is listed.
        Assert.True(manifest.Permissions.ConfinesFiles);
        Assert.Equal("none", manifest.Permissions.Network);
        Assert.Equal(PluginResources.None, undeclared.Resources);
        Assert.False(undeclared.Permissions.ConfinesFiles);
        Assert.Equal("any", undeclared.Permissions.Network);
    }

    [Fact]
    public void Parse_BadSandbox_EachProblemNamed()
    {
        var json = Complete();
        json["resources"] = JsonNode.Parse("""{"memoryMiB": 4, "gpus": 2}""");
        json["permissions"] = JsonNode.Parse("""{"read": ["relative/path", "/a/../etc"], "network": "some"}""");

        var error = Assert.Throws<PackageException>(() => PluginManifest.FromJson(json));

        Assert.Contains(error.Reasons, r => r.Contains("'resources.memoryMiB' must be a whole number of at least 16", StringComparison.Ordinal));
        Assert.Contains(error.Reasons, r => r.Contains("'resources' holds \"gpus\"", StringComparison.Ordinal));
        Assert.Contains(error.Reasons, r => r.Contains("\"relative/path\"", StringComparison.Ordinal));
        Assert.Contains(error.Reasons, r => r.Contains("\"/a/../etc\"", StringComparison.Ordinal));
        Assert.Contains(error.Reasons, r => r.Contains("'permissions.network' must be", StringComparison.Ordinal));
    }

    [Fact]
    public void WidensFrom_EachWayOfAskingMore_Listed_NarrowingIsNot()
    {
        var installed = Complete();
        installed["resources"] = JsonNode.Parse("""{"memoryMiB": 128, "maxProcesses": 64}""");
        installed["permissions"] = JsonNode.Parse("""{"callbacks": ["log"], "read": ["/etc/app"], "write": ["/srv/data"], "network": "loopback"}""");
        var wider = Complete();
        wider["resources"] = JsonNode.Parse("""{"memoryMiB": 256}""");
        wider["permissions"] = JsonNode.Parse("""{"callbacks": ["log", "kv"], "read": ["/etc/app", "/home"], "write": ["/srv/data", "/srv/other"], "network": "any"}""");
        var narrower = Complete();
        narrower["resources"] = JsonNode.Parse("""{"memoryMiB": 64, "maxProcesses": 32}""");
        narrower["permissions"] = JsonNode.Parse("""{"write": ["/srv/data"], "network": "none"}""");
        var unconfined = Complete();
        unconfined["resources"] = installed["resources"]!.DeepClone();

        var widens = PluginManifest.FromJson(wider).WidensFrom(PluginManifest.FromJson(installed));

        Assert.Equal(
            ["resources.memoryMiB: 128 becomes 256", "resources.maxProcesses: 64 becomes unlimited", "callbacks: adds kv", "read: adds /home", "write: adds /srv/other", "network: loopback becomes any"],
            widens);
        Assert.Empty(PluginManifest.FromJson(narrower).WidensFrom(PluginManifest.FromJson(installed)));
        Assert.Contains("files: no longer confined (no read or write list)", PluginManifest.FromJson(unconfined).WidensFrom(PluginManifest.FromJson(installed)));
    }

    private static JsonObject Complete()
    {
        var json = TestPackages.Manifest();
        json["files"] = new JsonObject { ["Sample.dll"] = new string('a', 64), ["lib/data.bin"] = new string('b', 64) };
        return json;
    }
}
