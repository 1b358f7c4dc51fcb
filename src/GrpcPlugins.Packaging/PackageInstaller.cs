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

        Directory.CreateDirectory(PluginsDirectory);
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
            return package;
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

    /// <summary>Removes an installed plugin's folder: renamed aside first, so it vanishes at once, then deleted.</summary>
    /// <param name="name">The plugin's name.</param>
    /// <exception cref="PackageException">No plugin of that name is installed (<see cref="PackageProblem.NotInstalled"/>).</exception>
    public void Uninstall(string name)
    {
        var folder = InstalledFolder(name);
        var trash = Path.Combine(PluginsDirectory, TrashPrefix + Guid.NewGuid().ToString("N"));
        Directory.Move(folder, trash);
        Directory.Delete(trash, recursive: true);
    }

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
            throw new PackageException(PackageProblem.NotInstalled, $"No plugin named '{name}' is installed in {PluginsDirectory}. `grpcplugins list` shows the installed plugins.");
        }

        return folder;
    }
}
