using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GrpcPlugins.Packaging;

/// <summary>
/// Makes a package from a folder holding <c>plugin.json</c> and the plugin's files (such as a <c>dotnet publish</c>
/// output): it writes the SHA-256 of every file into the manifest, sets the build time if the manifest has none,
/// signs it if given a key, and zips it all.
/// </summary>
public static class PackageBuilder
{
    /// <summary>Packs a folder.</summary>
    /// <param name="directory">The folder; <c>plugin.json</c> at its root may leave out <c>files</c>, <c>buildTime</c> and <c>signature</c>.</param>
    /// <param name="packagePath">The <c>.zip</c> to write; replaced if it exists.</param>
    /// <param name="privateKeyPem">The signing key (PKCS#8 PEM); null for an unsigned package.</param>
    /// <returns>The manifest written into the package.</returns>
    /// <exception cref="PackageException">The folder has no valid manifest, holds a link, or the key is unusable.</exception>
    public static PluginManifest Pack(string directory, string packagePath, string? privateKeyPem = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(packagePath);
        var root = Path.GetFullPath(directory);
        var manifestPath = Path.Combine(root, PluginManifest.FileName);
        if (!File.Exists(manifestPath))
        {
            throw new PackageException(PackageProblem.ManifestMissing, $"'{directory}' holds no {PluginManifest.FileName}. Write one beside the plugin's files (see src/GrpcPlugins.Packaging/README.md).");
        }

        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllBytes(manifestPath)) as JsonObject
                ?? throw new PackageException(PackageProblem.ManifestInvalid, $"{manifestPath} must hold a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new PackageException(PackageProblem.ManifestInvalid, $"{manifestPath} is not valid JSON: {ex.Message}", ex);
        }

        var output = Path.GetFullPath(packagePath);
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => f != manifestPath && f != output)
            .Select(f => (Full: f, Relative: Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/')))
            .OrderBy(f => f.Relative, StringComparer.Ordinal)
            .ToList();
        var sums = new JsonObject();
        foreach (var (full, relative) in files)
        {
            if (new FileInfo(full).LinkTarget is not null)
            {
                throw new PackageException(PackageProblem.LinkEntry, $"'{relative}' in '{directory}' is a link; packages hold regular files only. Copy the file it points to instead.");
            }

            using var stream = File.OpenRead(full);
            sums[relative] = Convert.ToHexStringLower(SHA256.HashData(stream));
        }

        json["files"] = sums;
        json.Remove("signature");
        if (json["buildTime"] is null)
        {
            json["buildTime"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        }

        // Round-trip through bytes so the signature covers exactly what a verifier will read back.
        var manifest = PluginManifest.Parse(PluginManifest.FromJson(json).ToUtf8Bytes());
        if (privateKeyPem is not null)
        {
            manifest = PackageSigner.Sign(manifest, privateKeyPem);
        }

        var temp = output + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var zip = ZipFile.Open(temp, ZipArchiveMode.Create))
            {
                Write(zip, PluginManifest.FileName, manifest.ToUtf8Bytes());
                foreach (var (full, relative) in files)
                {
                    var entry = zip.CreateEntryFromFile(full, relative, CompressionLevel.Optimal);
                    entry.ExternalAttributes = UnixAttributes(full);
                }
            }

            File.Move(temp, output, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }

        return manifest;
    }

    private static void Write(ZipArchive zip, string name, byte[] content)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        entry.ExternalAttributes = (0x8000 | 0b110_100_100) << 16;
        using var stream = entry.Open();
        stream.Write(content);
    }

    // Regular file with its permission bits, so an executable entrypoint stays executable when installed.
    private static int UnixAttributes(string path)
    {
        var mode = OperatingSystem.IsWindows() ? 0b110_100_100 : (int)File.GetUnixFileMode(path) & 0b111_111_111;
        return (0x8000 | mode) << 16;
    }
}
