using System.IO.Compression;
using System.Security.Cryptography;

namespace GrpcPlugins.Packaging.Internal;

/// <summary>
/// An opened package whose entries passed the structural checks: safe relative paths, no links, no duplicates, sizes
/// within the limits. Reading an entry counts the bytes really unpacked, since a zip's declared sizes can lie.
/// </summary>
internal sealed class PackageArchive : IDisposable
{
    private const int SymlinkMode = 0xA000;
    private const int RegularMode = 0x8000;
    private const int DirectoryMode = 0x4000;
    private readonly ZipArchive _zip;
    private readonly PackageVerifierOptions _options;
    private long _unpacked;

    private PackageArchive(ZipArchive zip, PackageVerifierOptions options, string name)
    {
        _zip = zip;
        _options = options;
        Name = name;
    }

    public string Name { get; }

    public ZipArchiveEntry? ManifestEntry { get; private set; }

    public List<ZipArchiveEntry> Files { get; } = [];

    public long UnpackedBytes => _unpacked;

    public static PackageArchive Open(string path, PackageVerifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(path);
        var name = Path.GetFileName(path);
        if (!File.Exists(path))
        {
            throw new PackageException(PackageProblem.InvalidArchive, $"The package '{path}' does not exist.");
        }

        FileStream? stream = null;
        try
        {
            stream = File.OpenRead(path);
            var archive = new PackageArchive(new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: false), options, name);
            try
            {
                archive.CheckEntries();
                return archive;
            }
            catch
            {
                archive.Dispose();
                throw;
            }
        }
        catch (InvalidDataException ex)
        {
            stream?.Dispose();
            throw new PackageException(PackageProblem.InvalidArchive, $"'{name}' is not a readable zip archive ({ex.Message}). Make packages with `grpcplugins pack`.", ex);
        }
    }

    public PluginManifest ReadManifest()
    {
        if (ManifestEntry is null)
        {
            throw new PackageException(PackageProblem.ManifestMissing, $"'{Name}' holds no {PluginManifest.FileName} at its root. A package is a zip with {PluginManifest.FileName} and the plugin's files; make one with `grpcplugins pack DIR`.");
        }

        using var buffer = new MemoryStream();
        Copy(ManifestEntry, buffer, PluginManifest.MaxBytes);
        return PluginManifest.Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <summary>Copies an entry's bytes to a stream, stopping with <see cref="PackageProblem.TooLarge"/> past the limits, and returns their SHA-256.</summary>
    public string Copy(ZipArchiveEntry entry, Stream destination, long? limit = null)
    {
        var entryLimit = limit ?? _options.MaxEntryBytes;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long total = 0;
        try
        {
            using var source = entry.Open();
            int read;
            while ((read = source.Read(buffer)) > 0)
            {
                total += read;
                _unpacked += read;
                if (total > entryLimit)
                {
                    throw TooLarge($"'{entry.FullName}' unpacks to more than {entryLimit} bytes");
                }

                if (_unpacked > _options.MaxTotalBytes)
                {
                    throw TooLarge($"the files unpack to more than {_options.MaxTotalBytes} bytes in all");
                }

                hash.AppendData(buffer, 0, read);
                destination.Write(buffer, 0, read);
            }
        }
        catch (InvalidDataException ex)
        {
            throw new PackageException(PackageProblem.InvalidArchive, $"'{entry.FullName}' in '{Name}' cannot be unpacked ({ex.Message}); the package is damaged.", ex);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public void Dispose() => _zip.Dispose();

    private void CheckEntries()
    {
        var entries = _zip.Entries;
        if (entries.Count > _options.MaxEntries)
        {
            throw TooLarge($"it holds {entries.Count} entries; at most {_options.MaxEntries} are allowed");
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        long declared = 0;
        foreach (var entry in entries)
        {
            var isDirectory = entry.FullName.EndsWith('/');
            var path = isDirectory ? entry.FullName[..^1] : entry.FullName;
            if (EntryPaths.Problem(path) is { } problem)
            {
                throw new PackageException(PackageProblem.UnsafePath, $"Refused '{Name}': the entry \"{entry.FullName}\" {problem}. Nothing was installed.");
            }

            var mode = (entry.ExternalAttributes >> 16) & 0xF000;
            if (mode == SymlinkMode || mode is not (0 or RegularMode or DirectoryMode))
            {
                throw new PackageException(PackageProblem.LinkEntry, $"Refused '{Name}': the entry \"{entry.FullName}\" is a {(mode == SymlinkMode ? "symbolic link" : "link or special file")}; packages hold regular files only. Nothing was installed.");
            }

            if (!seen.Add(path))
            {
                throw new PackageException(PackageProblem.DuplicateEntry, $"Refused '{Name}': the entry \"{entry.FullName}\" appears twice (names that differ only in case count as the same). Nothing was installed.");
            }

            if (isDirectory)
            {
                continue;
            }

            if (entry.Length > _options.MaxEntryBytes)
            {
                throw TooLarge($"'{entry.FullName}' unpacks to {entry.Length} bytes; the most allowed is {_options.MaxEntryBytes}");
            }

            declared += entry.Length;
            if (declared > _options.MaxTotalBytes)
            {
                throw TooLarge($"the files unpack to more than {_options.MaxTotalBytes} bytes in all");
            }

            if (path == PluginManifest.FileName)
            {
                ManifestEntry = entry;
            }
            else
            {
                Files.Add(entry);
            }
        }
    }

    private PackageException TooLarge(string what) => new(
        PackageProblem.TooLarge,
        $"Refused '{Name}': {what} (a zip bomb, or limits set too low: see MaxEntryBytes, MaxTotalBytes and MaxEntries). Nothing was installed.");
}
