using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;

namespace GrpcPlugins.Packaging.Tests;

/// <summary>Random input never crashes the parser or the extractor: every outcome is a result or a <see cref="PackageException"/>.</summary>
public sealed class PropertyTests : IDisposable
{
    private static readonly string[] Fields = ["name", "version", "description", "authors", "builder", "sourceUrl", "buildTime", "types", "entrypoint", "apiVersions", "hostVersions", "priority", "configSchema", "files", "signature", "reconfigure"];

    private static readonly Gen<JsonNode?> Value = Gen.OneOf(
        Gen.Const((JsonNode?)null),
        Gen.Int.Select(i => (JsonNode?)i),
        Gen.Double.Select(d => double.IsFinite(d) ? (JsonNode?)d : 0),
        Gen.Bool.Select(b => (JsonNode?)b),
        Gen.String.Select(s => (JsonNode?)s),
        Gen.OneOf("1.0.0", "~> 1.0", ">= 1, < 2", "monitor", "v1", "a.dll", "https://x.org", "2026-01-01T00:00:00Z", "../x", "/abs", new string('a', 64))
            .Select(s => (JsonNode?)s),
        Gen.OneOf("[\"monitor\"]", "[\"v1\"]", "{\"name\":\"n\",\"contact\":\"c\"}", "{\"command\":\"a.dll\"}", "{\"a.dll\":\"" + new string('a', 64) + "\"}", "{\"type\":\"object\"}", "[]", "{}", "[1,[2,{}]]")
            .Select(s => JsonNode.Parse(s)));

    private static readonly Gen<string> EntryName = Gen.OneOf(
        Gen.OneOf("plugin.json", "a.dll", "lib/b.bin", "../x", "a/../../x", "/etc/x", "C:/x", "a\\b", "a//b", "dir/", ".", "A.DLL", "x:y"),
        Gen.String[Gen.Char["ab./\\:"], 1, 8]);

    private readonly string _root = Directory.CreateTempSubdirectory("pkg-prop-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Parse_RandomBytes_OnlyPackageExceptions()
    {
        Gen.Byte.Array[0, 300].Sample(bytes => ParsesOrRefuses(bytes), iter: 2000);
    }

    [Fact]
    public void Parse_RandomFieldValues_OnlyPackageExceptions()
    {
        var gen = Gen.Select(Gen.Int[0, Fields.Length - 1], Value).List[0, 20].Select(pairs =>
        {
            var json = new JsonObject();
            foreach (var (index, value) in pairs)
            {
                json[Fields[index]] = value?.DeepClone();
            }

            return Encoding.UTF8.GetBytes(json.ToJsonString());
        });

        gen.Sample(bytes => ParsesOrRefuses(bytes), iter: 1000);
    }

    [Fact]
    public void Install_RandomEntries_RefusedOrInsideFolder()
    {
        var gen = Gen.Select(EntryName, Gen.Byte.Array[0, 64], Gen.OneOf(0, TestPackages.RegularFile, (0xA000 | 0x1FF) << 16, (0x1000 | 0x1FF) << 16), (name, content, attributes) => (Name: name, Content: content, Attributes: attributes)).Array[0, 6];
        var options = new PackageVerifierOptions { AllowUnsigned = true, MaxEntryBytes = 32, MaxTotalBytes = 128 };
        var n = 0;
        gen.Sample(entries =>
        {
            var dir = Path.Combine(_root, $"case-{n++}");
            var plugins = Path.Combine(dir, "plugins");
            var zip = Path.Combine(dir, "p.zip");
            Directory.CreateDirectory(dir);
            using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
            {
                foreach (var (name, content, attributes) in entries)
                {
                    Add(archive, name, content, attributes);
                }

                // Half the cases carry a manifest that vouches for every entry, so the checks get as far as unpacking.
                if (n % 2 == 0)
                {
                    var manifest = TestPackages.Manifest();
                    var files = new JsonObject();
                    foreach (var (name, content, _) in entries.Where(e => e.Name != PluginManifest.FileName))
                    {
                        files[name] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content));
                    }

                    manifest["files"] = files;
                    manifest["entrypoint"] = new JsonObject { ["command"] = files.Select(f => f.Key).FirstOrDefault() ?? "none" };
                    Add(archive, PluginManifest.FileName, Encoding.UTF8.GetBytes(manifest.ToJsonString()), TestPackages.RegularFile);
                }
            }

            try
            {
                new PackageInstaller(plugins, new PackageVerifier(options)).Install(zip);
            }
            catch (PackageException)
            {
                // A clear refusal is a fine outcome; a crash of any other type is not.
            }

            // Whatever happened, nothing was written beside the plugins folder and no staging folder is left.
            Assert.Equal(["p.zip"], Directory.EnumerateFileSystemEntries(dir).Where(e => e != plugins).Select(Path.GetFileName));
            Assert.Empty(Directory.Exists(plugins) ? Directory.EnumerateDirectories(plugins, ".staging-*") : []);
        }, iter: 300);
    }

    [Fact]
    public void Install_RandomBytesAsZip_OnlyPackageExceptions()
    {
        var path = Path.Combine(_root, "random.zip");
        Gen.Byte.Array[0, 200].Sample(bytes =>
        {
            File.WriteAllBytes(path, [0x50, 0x4B, .. bytes]);
            try
            {
                new PackageInstaller(Path.Combine(_root, "plugins"), new PackageVerifier(new PackageVerifierOptions())).Install(path);
            }
            catch (PackageException)
            {
            }
        }, iter: 500);
    }

    private static void Add(ZipArchive archive, string name, byte[] content, int attributes)
    {
        var entry = archive.CreateEntry(name);
        entry.ExternalAttributes = attributes;
        using var stream = entry.Open();
        stream.Write(content);
    }

    private static void ParsesOrRefuses(byte[] bytes)
    {
        try
        {
            PluginManifest.Parse(bytes);
        }
        catch (PackageException ex)
        {
            Assert.False(string.IsNullOrWhiteSpace(ex.Message));
        }
    }
}
