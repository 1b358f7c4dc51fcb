using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;

namespace GrpcPlugins.Packaging.Tests;

/// <summary>Makes real package folders and zips for the tests, and rewrites zips entry by entry to make bad ones.</summary>
internal sealed class TestPackages : IDisposable
{
    public TestPackages()
    {
        Root = Directory.CreateTempSubdirectory("pkg-tests-").FullName;
        PluginsDir = Path.Combine(Root, "plugins");
        (PrivateKey, PublicKey) = PackageSigner.CreateKey();
    }

    public string Root { get; }

    public string PluginsDir { get; }

    public string PrivateKey { get; }

    public string PublicKey { get; }

    public static JsonObject Manifest(string name = "sample") => new()
    {
        ["name"] = name,
        ["version"] = "1.0.0",
        ["description"] = "A sample plugin",
        ["authors"] = new JsonArray("Jane Doe <jane@example.com>"),
        ["builder"] = new JsonObject { ["name"] = "Builds", ["contact"] = "builds@example.com" },
        ["sourceUrl"] = "https://example.com/sample",
        ["buildTime"] = "2026-01-31T12:00:00Z",
        ["types"] = new JsonArray("monitor"),
        ["entrypoint"] = new JsonObject { ["command"] = "Sample.dll", ["args"] = new JsonArray() },
        ["apiVersions"] = new JsonArray("v1"),
        ["hostVersions"] = "~> 1.0",
        ["priority"] = 500,
        ["configSchema"] = JsonNode.Parse("""{"type": "object", "properties": {"port": {"type": "integer", "default": 8080}, "name": {"type": "string"}}}"""),
    };

    public PackageVerifierOptions Trusting(bool allowUnsigned = false) => new() { TrustedKeys = [PublicKey], AllowUnsigned = allowUnsigned };

    /// <summary>Packs a folder with plugin.json, Sample.dll and lib/data.bin.</summary>
    public string Pack(JsonObject? manifest = null, bool sign = true, string? fileName = null)
    {
        var dir = Directory.CreateDirectory(Path.Combine(Root, $"src-{Guid.NewGuid():N}")).FullName;
        File.WriteAllText(Path.Combine(dir, "plugin.json"), (manifest ?? Manifest()).ToJsonString());
        File.WriteAllText(Path.Combine(dir, "Sample.dll"), "not really a dll");
        Directory.CreateDirectory(Path.Combine(dir, "lib"));
        File.WriteAllBytes(Path.Combine(dir, "lib", "data.bin"), [1, 2, 3, 4]);
        var path = Path.Combine(Root, fileName ?? $"pkg-{Guid.NewGuid():N}.zip");
        PackageBuilder.Pack(dir, path, sign ? PrivateKey : null);
        return path;
    }

    /// <summary>Copies a package, letting <paramref name="change"/> replace each entry's bytes (null drops it) and add entries.</summary>
    public string Rewrite(string package, Func<string, byte[], byte[]?> change, params (string Name, byte[] Content, int Attributes)[] extra)
    {
        var path = Path.Combine(Root, $"bad-{Guid.NewGuid():N}.zip");
        using (var source = ZipFile.OpenRead(package))
        using (var target = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            foreach (var entry in source.Entries)
            {
                using var buffer = new MemoryStream();
                using (var stream = entry.Open())
                {
                    stream.CopyTo(buffer);
                }

                if (change(entry.FullName, buffer.ToArray()) is { } content)
                {
                    Add(target, entry.FullName, content, entry.ExternalAttributes);
                }
            }

            foreach (var (name, content, attributes) in extra)
            {
                Add(target, name, content, attributes);
            }
        }

        return path;
    }

    /// <summary>A zip made of the given entries only.</summary>
    public string Zip(params (string Name, byte[] Content, int Attributes)[] entries)
    {
        var path = Path.Combine(Root, $"zip-{Guid.NewGuid():N}.zip");
        using var target = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, content, attributes) in entries)
        {
            Add(target, name, content, attributes);
        }

        return path;
    }

    /// <summary>Everything under the plugins folder, with each file's bytes, to show a refused install changed nothing.</summary>
    public string Snapshot()
    {
        if (!Directory.Exists(PluginsDir))
        {
            return "(no folder)";
        }

        var text = new StringBuilder();
        foreach (var entry in Directory.EnumerateFileSystemEntries(PluginsDir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            text.Append(Path.GetRelativePath(PluginsDir, entry));
            if (File.Exists(entry))
            {
                text.Append(' ').Append(Convert.ToHexString(File.ReadAllBytes(entry)));
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);

    public static int RegularFile => (0x8000 | 0b110_100_100) << 16;

    private static void Add(ZipArchive zip, string name, byte[] content, int attributes)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        entry.ExternalAttributes = attributes;
        using var stream = entry.Open();
        stream.Write(content);
    }
}
