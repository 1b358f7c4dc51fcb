using GrpcPlugins.Packaging.Internal;

namespace GrpcPlugins.Packaging;

/// <summary>
/// Installs verified packages into a plugins folder, one sub-folder per plugin name. A package is verified in full
/// first, then unpacked into a hidden staging folder and renamed into place, so a refused or failed install leaves the
/// plugins folder as it was, and a plugin folder is never half-written.
/// </summary>
/// <param name="pluginsDirectory">The plugins folder; created when missing.</param>
/// <param name="verifier">The checks a package must pass.</param>
public sealed class PackageInstaller(string pluginsDirectory, PackageVerifier verifier)
{
    /// <summary>The folder, inside the plugins folder, that holds versions installed by upgrades.</summary>
    public const string VersionsFolderName = ".versions";

    private const string StagingPrefix = ".staging-";
    private const string TrashPrefix = ".removing-";

    /// <summary>The plugins folder, as an absolute path.</summary>
    public string PluginsDirectory { get; } = Path.GetFullPath(pluginsDirectory ?? throw new ArgumentNullException(nameof(pluginsDirectory)));

    /// <summary>The checks a package must pass.</summary>
    public PackageVerifier Verifier { get; } = verifier ?? throw new ArgumentNullException(nameof(verifier));

    /// <summary>The folder a plugin is installed in.</summary>
    /// <param name="name">The plugin's name.</param>
    /// <returns>The folder's absolute path.</returns>
    public string FolderOf(string name) => Path.Combine(PluginsDirectory, name);

    /// <summary>Verifies and installs a package.</summary>
    /// <param name="packagePath">The package's path.</param>
    /// <param name="isNameTaken">Also refuses names this says are taken (such as a host's built-in plugins); null for none.</param>
    /// <returns>The verified package, now installed in <see cref="FolderOf"/> its name.</returns>
    /// <exception cref="PackageException">The package is refused, or a plugin of that name is installed already (<see cref="PackageProblem.DuplicateName"/>); nothing was changed.</exception>
    public VerifiedPackage Install(string packagePath, Func<string, bool>? isNameTaken = null)
    {
        using var archive = PackageArchive.Open(packagePath, Verifier.Options);
        var package = Verifier.Verify(archive);
        var name = package.Manifest.Name;
        var target = FolderOf(name);
        if (Directory.Exists(target) || File.Exists(target) || isNameTaken?.Invoke(name) == true)
        {
            throw new PackageException(PackageProblem.DuplicateName, $"Refused '{archive.Name}': a plugin named '{name}' is installed already. Uninstall it first, or give the new plugin another name.");
        }

        Unpack(archive, package, target);
        return package;
    }

    /// <summary>
    /// Verifies a package and unpacks it beside any installed version of its plugin, into a new folder under
    /// <see cref="VersionsFolderName"/>, for an upgrade. Nothing refers to that folder until the caller records it.
    /// </summary>
    /// <param name="packagePath">The package's path.</param>
    /// <returns>The verified package and the folder it is unpacked in.</returns>
    /// <exception cref="PackageException">The package is refused; nothing was changed.</exception>
    public (VerifiedPackage Package, string Folder) Stage(string packagePath)
    {
        using var archive = PackageArchive.Open(packagePath, Verifier.Options);
        var package = Verifier.Verify(archive);
        var folder = Path.Combine(PluginsDirectory, VersionsFolderName, $"{package.Manifest.Name}@{package.Manifest.Version}-{Guid.NewGuid().ToString("N")[..8]}");
        Unpack(archive, package, folder);
        return (package, folder);
    }

    /// <summary>Removes a folder inside the plugins folder: renamed aside first, so it vanishes at once, then deleted.</summary>
    /// <param name="folder">The folder; nothing happens when it does not exist.</param>
    /// <exception cref="ArgumentException">The folder is not inside the plugins folder.</exception>
    public void RemoveFolder(string folder)
    {
        var full = Path.GetFullPath(folder);
        if (!full.StartsWith(PluginsDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"{folder} is not inside the plugins folder {PluginsDirectory}.", nameof(folder));
        }

        if (!Directory.Exists(full))
        {
            return;
        }

        var trash = Path.Combine(PluginsDirectory, TrashPrefix + Guid.NewGuid().ToString("N"));
        Directory.Move(full, trash);
        Directory.Delete(trash, recursive: true);
    }

    /// <summary>
    /// Removes what an install, upgrade or uninstall cut short by a crash left behind: staging and half-deleted folders,
    /// and versions under <see cref="VersionsFolderName"/> that <paramref name="isInUse"/> does not claim.
    /// </summary>
    /// <param name="isInUse">Says whether a folder (absolute path) under <see cref="VersionsFolderName"/> is an installed plugin's.</param>
    /// <returns>The folders removed.</returns>
    public IReadOnlyList<string> RemoveLeftovers(Func<string, bool> isInUse)
    {
        ArgumentNullException.ThrowIfNull(isInUse);
        if (!Directory.Exists(PluginsDirectory))
        {
            return [];
        }

        var versions = Path.Combine(PluginsDirectory, VersionsFolderName);
        var leftovers = Directory.EnumerateDirectories(PluginsDirectory)
            .Where(d => Path.GetFileName(d) is { } n && (n.StartsWith(StagingPrefix, StringComparison.Ordinal) || n.StartsWith(TrashPrefix, StringComparison.Ordinal)))
            .Concat(Directory.Exists(versions) ? Directory.EnumerateDirectories(versions).Where(d => !isInUse(d)) : [])
            .ToList();
        foreach (var folder in leftovers)
        {
            Directory.Delete(folder, recursive: true);
        }

        return leftovers;
    }

    /// <summary>Reads the manifest of a plugin installed in a folder.</summary>
    /// <param name="name">The plugin's name, for the error.</param>
    /// <param name="folder">The folder.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="PackageException">The folder holds no plugin (<see cref="PackageProblem.NotInstalled"/>), or its manifest is damaged.</exception>
    public PluginManifest ReadInstalled(string name, string folder)
    {
        var path = Path.Combine(folder, PluginManifest.FileName);
        return File.Exists(path)
            ? PluginManifest.Parse(File.ReadAllBytes(path))
            : throw NotInstalled(name);
    }

    // Unpacks into a hidden staging folder, then renames it to the target, so the target is never half-written.
    private void Unpack(PackageArchive archive, VerifiedPackage package, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var staging = Path.Combine(PluginsDirectory, StagingPrefix + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(staging);
            foreach (var entry in archive.Files)
            {
                var path = EntryPaths.Resolve(staging, entry.FullName)
                    ?? throw new PackageException(PackageProblem.UnsafePath, $"Refused '{archive.Name}': \"{entry.FullName}\" would land outside the install folder.");
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                string sha;
                using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
                {
                    sha = archive.Copy(entry, file);
                }

                // Checked again while unpacking, so a package changed since it was verified cannot slip through.
                if (sha != package.Manifest.Files[entry.FullName])
                {
                    throw new PackageException(PackageProblem.ChecksumMismatch, $"Refused '{archive.Name}': \"{entry.FullName}\" changed while it was installed.");
                }

                if (!OperatingSystem.IsWindows())
                {
                    var mode = (UnixFileMode)((entry.ExternalAttributes >> 16) & 0b111_111_111);
                    File.SetUnixFileMode(path, (mode & UnixFileMode.UserExecute) != 0 ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100);
                }
            }

            File.WriteAllBytes(Path.Combine(staging, PluginManifest.FileName), package.Manifest.ToUtf8Bytes());
            Directory.Move(staging, target);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PackageException(PackageProblem.InvalidArchive, $"Installing '{archive.Name}' into {PluginsDirectory} failed: {ex.Message}. Nothing was installed.", ex);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>
    /// Removes the folder named after a plugin: renamed aside first, so it vanishes at once, then deleted. A plugin that
    /// was upgraded lives in another folder; <see cref="PluginDirectory.Uninstall"/> knows which.
    /// </summary>
    /// <param name="name">The plugin's name.</param>
    /// <exception cref="PackageException">No plugin of that name is installed (<see cref="PackageProblem.NotInstalled"/>).</exception>
    public void Uninstall(string name) => RemoveFolder(InstalledFolder(name));

    /// <summary>Reads an installed plugin's manifest.</summary>
    /// <param name="name">The plugin's name.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="PackageException">No plugin of that name is installed, or its manifest is damaged.</exception>
    public PluginManifest ReadInstalled(string name) =>
        PluginManifest.Parse(File.ReadAllBytes(Path.Combine(InstalledFolder(name), PluginManifest.FileName)));

    /// <summary>The names of the installed plugins: the folders holding a <c>plugin.json</c>.</summary>
    /// <returns>The names, sorted.</returns>
    public IReadOnlyList<string> InstalledNames() => !Directory.Exists(PluginsDirectory)
        ? []
        : [.. Directory.EnumerateDirectories(PluginsDirectory)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(n => PluginManifest.NamePattern().IsMatch(n) && File.Exists(Path.Combine(PluginsDirectory, n, PluginManifest.FileName)))
            .Order(StringComparer.Ordinal)];

    private string InstalledFolder(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var folder = FolderOf(name);
        if (!PluginManifest.NamePattern().IsMatch(name) || !File.Exists(Path.Combine(folder, PluginManifest.FileName)))
        {
            throw NotInstalled(name);
        }

        return folder;
    }

    private PackageException NotInstalled(string name) =>
        new(PackageProblem.NotInstalled, $"No plugin named '{name}' is installed in {PluginsDirectory}. `grpcplugins list` shows the installed plugins.");
}
