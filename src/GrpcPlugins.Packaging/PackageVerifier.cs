using GrpcPlugins.Packaging.Internal;

namespace GrpcPlugins.Packaging;

/// <summary>A package that passed every check.</summary>
/// <param name="Manifest">Its manifest.</param>
/// <param name="SignedBy">The id of the trusted key that signed it; null when it is unsigned and unsigned packages are allowed.</param>
/// <param name="UnpackedBytes">The size of its files, unpacked.</param>
public sealed record VerifiedPackage(PluginManifest Manifest, string? SignedBy, long UnpackedBytes);

/// <summary>
/// Checks a package before anything is installed, in this order: the archive's structure (no unsafe path, link,
/// duplicate or oversized entry), <c>plugin.json</c>, every file's SHA-256, the signature against the trusted keys,
/// and compatibility with this host.
/// </summary>
/// <param name="options">What the host accepts.</param>
public sealed class PackageVerifier(PackageVerifierOptions options)
{
    /// <summary>What the host accepts.</summary>
    public PackageVerifierOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>Reads a package's manifest without checking the files or the signature, as <c>grpcplugins inspect</c> does.</summary>
    /// <param name="packagePath">The package's path.</param>
    /// <param name="options">The limits to read it with; defaults apply when null.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="PackageException">The archive or its manifest is unreadable or unsafe.</exception>
    public static PluginManifest ReadManifest(string packagePath, PackageVerifierOptions? options = null)
    {
        using var archive = PackageArchive.Open(packagePath, options ?? new PackageVerifierOptions());
        return archive.ReadManifest();
    }

    /// <summary>Checks a package.</summary>
    /// <param name="packagePath">The package's path.</param>
    /// <returns>The verified package.</returns>
    /// <exception cref="PackageException">The package is refused; <see cref="PackageException.Problem"/> says why.</exception>
    public VerifiedPackage Verify(string packagePath)
    {
        using var archive = PackageArchive.Open(packagePath, Options);
        return Verify(archive);
    }

    internal VerifiedPackage Verify(PackageArchive archive)
    {
        var manifest = archive.ReadManifest();
        // Refusals name the package as its builder named it, not the file it was uploaded to.
        var name = $"{manifest.Name} {manifest.Version}";
        CheckFiles(archive, name, manifest);
        var signedBy = CheckSignature(name, manifest);
        CheckCompatibility(name, manifest);
        return new VerifiedPackage(manifest, signedBy, archive.UnpackedBytes);
    }

    private static void CheckFiles(PackageArchive archive, string name, PluginManifest manifest)
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in archive.Files)
        {
            if (!manifest.Files.TryGetValue(entry.FullName, out var expected))
            {
                throw new PackageException(PackageProblem.FileNotListed, $"Refused '{name}': it holds \"{entry.FullName}\", which {PluginManifest.FileName} does not list, so its content is not vouched for. Pack the package again with `grpcplugins pack`.");
            }

            var actual = archive.Copy(entry, Stream.Null);
            if (actual != expected)
            {
                throw new PackageException(PackageProblem.ChecksumMismatch, $"Refused '{name}': \"{entry.FullName}\" has SHA-256 {actual}, but {PluginManifest.FileName} says {expected}. The file was changed after packing (tampered or damaged); get the package again from its builder.");
            }

            present.Add(entry.FullName);
        }

        if (manifest.Files.Keys.FirstOrDefault(f => !present.Contains(f)) is { } missing)
        {
            throw new PackageException(PackageProblem.FileMissing, $"Refused '{name}': {PluginManifest.FileName} lists \"{missing}\", but the package does not hold it. Pack the package again.");
        }
    }

    private string? CheckSignature(string name, PluginManifest manifest)
    {
        if (manifest.Signature is not { } signature)
        {
            return Options.AllowUnsigned
                ? null
                : throw new PackageException(PackageProblem.Unsigned, $"Refused '{name}': it is not signed, and this host accepts signed packages only. Sign it (`grpcplugins pack DIR --key KEY.pem`) with a key the host trusts, or allow unsigned packages with the host's setting {Options.AllowUnsignedSetting}.");
        }

        var key = Options.TrustedKeys.FirstOrDefault(k => PackageSigner.KeyId(k) == signature.KeyId);
        if (key is null)
        {
            throw new PackageException(PackageProblem.UntrustedKey, $"Refused '{name}': it is signed with key {signature.KeyId}, which this host does not trust. If you trust its builder, trust their public key: {Options.TrustAdvice}.");
        }

        if (!PackageSigner.IsValid(manifest, key))
        {
            throw new PackageException(PackageProblem.SignatureInvalid, $"Refused '{name}': its signature does not match {PluginManifest.FileName} for key {signature.KeyId}. The manifest was changed after signing; get the package again from its builder.");
        }

        return signature.KeyId;
    }

    private void CheckCompatibility(string name, PluginManifest manifest)
    {
        if (!manifest.HostVersions.IsSatisfiedBy(Options.HostVersion))
        {
            throw new PackageException(PackageProblem.IncompatibleHost, $"Refused '{name}': it supports host versions \"{manifest.HostVersions}\", and this host is {Options.HostVersion}. Install a version of the plugin built for this host.");
        }

        if (Options.ApiVersions.Count > 0 && !manifest.ApiVersions.Intersect(Options.ApiVersions, StringComparer.Ordinal).Any())
        {
            throw new PackageException(PackageProblem.IncompatibleHost, $"Refused '{name}': it speaks plugin API {string.Join(", ", manifest.ApiVersions)}, and this host serves {string.Join(", ", Options.ApiVersions)}. Install a version of the plugin that speaks one of them.");
        }
    }
}
