namespace GrpcPlugins.Packaging;

/// <summary>What a host accepts in a package: trusted signing keys, size limits and its own version.</summary>
public sealed class PackageVerifierOptions
{
    /// <summary>The public keys (PEM text) whose signatures are trusted. Defaults to none.</summary>
    public List<string> TrustedKeys { get; set; } = [];

    /// <summary>Whether an unsigned package may be installed. Defaults to false.</summary>
    public bool AllowUnsigned { get; set; }

    /// <summary>
    /// How an operator of this host trusts a signing key, named in the refusal of a package signed by an untrusted key
    /// (after "trust their public key: "). Defaults to the <c>grpcplugins verify --trusted-key KEY.pem</c> option; a
    /// host with plugin management names its own command and setting.
    /// </summary>
    public string TrustAdvice { get; set; } = "pass it as `--trusted-key KEY.pem`";

    /// <summary>
    /// The setting or option that allows unsigned packages, named in the refusal of an unsigned package. Defaults to
    /// <c>--allow-unsigned</c>, the <c>grpcplugins</c> option.
    /// </summary>
    public string AllowUnsignedSetting { get; set; } = "--allow-unsigned";

    /// <summary>The host's version, checked against a package's <c>hostVersions</c>. Defaults to 1.0.0.</summary>
    public PluginVersion HostVersion { get; set; } = PluginVersion.Parse("1.0.0");

    /// <summary>
    /// The plugin API versions the host serves, such as "v1"; a package sharing none is refused. Defaults to every
    /// version this release speaks, <see cref="PluginProtocol.AppProtocolVersions"/>.
    /// </summary>
    public List<string> ApiVersions { get; set; } =
        [.. PluginProtocol.AppProtocolVersions.Select(PluginProtocol.ApiVersionName)];

    /// <summary>The most entries a package may hold. Defaults to 10,000.</summary>
    public int MaxEntries { get; set; } = 10_000;

    /// <summary>The largest file, unpacked, in bytes. Defaults to 256 MiB.</summary>
    public long MaxEntryBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>The largest total of all files, unpacked, in bytes. Defaults to 1 GiB.</summary>
    public long MaxTotalBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>Reads trusted keys from PEM files and adds them to <see cref="TrustedKeys"/>.</summary>
    /// <param name="paths">The files; each holds one public key.</param>
    /// <returns>These options.</returns>
    /// <exception cref="PackageException">A file is missing.</exception>
    public PackageVerifierOptions TrustKeyFiles(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        foreach (var path in paths)
        {
            if (!File.Exists(path))
            {
                throw new PackageException(PackageProblem.UntrustedKey, $"The trusted key file '{path}' does not exist. Give the path of a public key PEM made by `grpcplugins keygen`.");
            }

            TrustedKeys.Add(File.ReadAllText(path));
        }

        return this;
    }
}
