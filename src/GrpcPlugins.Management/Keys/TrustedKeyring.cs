using System.Security.Cryptography;
using GrpcPlugins.Packaging;

namespace GrpcPlugins.Management;

/// <summary>
/// The signing keys this host trusts: those named by <see cref="PluginManagementOptions.TrustedKeys"/>, and those added
/// while it runs, each saved as <c>{fingerprint}.pem</c> in the <c>.trusted-keys</c> folder of the plugins folder so that
/// they are still trusted after a restart. A key added or removed takes effect for the next install at once: the
/// verifier's list of keys is swapped whole, never edited in place. Reached through <see cref="PluginManager.Keys"/>.
/// In cluster mode (<see cref="PluginClusterOptions.ConnectionString"/> set) the keys added at run time are the cluster's,
/// kept in its database and applied on every node by <see cref="PluginCluster"/>: this node then trusts the keys of its
/// settings and the cluster's keys, and its own <c>.trusted-keys</c> folder is not read.
/// </summary>
public sealed class TrustedKeyring
{
    /// <summary>The folder, inside the plugins folder, where keys added at run time are kept.</summary>
    public const string FolderName = ".trusted-keys";

    private readonly PackageVerifierOptions _verifier;
    private readonly IReadOnlyList<TrustedKey> _configured;
    private readonly string _configSetting;
    private readonly Lock _changes = new();

    // The cluster's keys in cluster mode (empty until the node has read them), null for a single host.
    private IReadOnlyList<TrustedKey>? _cluster;

    internal TrustedKeyring(PackageVerifierOptions verifier, string pluginsPath, IEnumerable<string> configuredFiles, string configSetting, bool cluster = false)
    {
        _verifier = verifier;
        _cluster = cluster ? Array.Empty<TrustedKey>() : null;
        _configSetting = configSetting;
        Folder = Path.Combine(pluginsPath, FolderName);
        _configured = [.. configuredFiles.Select(f => Read(Path.GetFullPath(f), "config", null))];
        Apply();
    }

    // The keyring of a plugin manager; its refusals name this host's own command and settings.
    internal static TrustedKeyring For(PackageVerifierOptions verifier, string pluginsPath, PluginManagementOptions options)
    {
        var section = options.ConfigurationPath;
        verifier.TrustAdvice = $"`grpcplugins keys add KEY.pub.pem --server <this host>` (or POST it to the management API's keys route; no restart), or list the key file in the setting {section}:TrustedKeys";
        verifier.AllowUnsignedSetting = $"{section}:AllowUnsigned";
        return new TrustedKeyring(verifier, pluginsPath, options.TrustedKeys, $"{section}:TrustedKeys", options.Cluster.IsEnabled);
    }

    /// <summary>The folder keys added at run time are saved in.</summary>
    public string Folder { get; }

    /// <summary>
    /// Every trusted key: those of the settings first, then those added at run time (in cluster mode, the cluster's as
    /// this node last read them), oldest first.
    /// </summary>
    /// <returns>The keys.</returns>
    public IReadOnlyList<TrustedKey> List() => [.. _configured, .. (Volatile.Read(ref _cluster) is { } cluster ? cluster.Where(k => !IsConfigured(k.Fingerprint)) : Added())];

    /// <summary>The keys of this host's settings.</summary>
    internal IReadOnlyList<TrustedKey> Configured => _configured;

    /// <summary>Whether a key comes from this host's settings.</summary>
    internal bool IsConfigured(string fingerprint) => _configured.Any(k => string.Equals(k.Fingerprint, fingerprint, StringComparison.OrdinalIgnoreCase));

    /// <summary>The refusal for removing a key of this host's settings through the API.</summary>
    internal PluginException ConfiguredKeyCannotBeRemoved(TrustedKey key) =>
        PluginException.FromHost(PluginErrorCode.FailedPrecondition, $"Key {key.Fingerprint} is trusted by the host's settings ({_configSetting}: {key.Path}); remove it from there and restart the host.");

    /// <summary>
    /// Cluster mode: trusts the cluster's keys from now on, in place of the previous ones (with the keys of the
    /// settings). Returns whether the set of keys changed.
    /// </summary>
    internal bool UseCluster(IReadOnlyList<TrustedKey> keys)
    {
        lock (_changes)
        {
            var before = Volatile.Read(ref _cluster) ?? Array.Empty<TrustedKey>();
            Volatile.Write(ref _cluster, keys);
            Apply();
            return !before.Select(k => k.Fingerprint).Order(StringComparer.Ordinal).SequenceEqual(keys.Select(k => k.Fingerprint).Order(StringComparer.Ordinal));
        }
    }

    /// <summary>A public key as a person sends it, checked (a P-256 public key, never a private one) and normalized.</summary>
    /// <exception cref="PluginException">The text is not a P-256 public key (InvalidArgument).</exception>
    internal static TrustedKey Parse(string publicKeyPem, string source, DateTimeOffset? addedAt)
    {
        var (fingerprint, normalized) = Normalize(publicKeyPem);
        return new TrustedKey(fingerprint, source, normalized, string.Empty, addedAt);
    }

    /// <summary>Trusts a public key from now on, and after restarts. Adding a key already trusted changes nothing.</summary>
    /// <param name="publicKeyPem">A P-256 public key, PEM (the <c>.pub.pem</c> file <c>grpcplugins keygen</c> writes).</param>
    /// <returns>The trusted key.</returns>
    /// <exception cref="PluginException">The text is not a P-256 public key (InvalidArgument).</exception>
    public TrustedKey Add(string publicKeyPem)
    {
        ArgumentNullException.ThrowIfNull(publicKeyPem);
        RefuseInCluster();
        var (fingerprint, normalized) = Normalize(publicKeyPem);
        lock (_changes)
        {
            if (List().FirstOrDefault(k => k.Fingerprint == fingerprint) is { } known)
            {
                return known;
            }

            Directory.CreateDirectory(Folder);
            var path = Path.Combine(Folder, fingerprint + ".pem");
            // Written beside and moved, so a crash never leaves half a key that would fail the next start.
            var temp = path + ".tmp";
            File.WriteAllText(temp, normalized);
            File.Move(temp, path, overwrite: true);
            Apply();
            return Read(path, "runtime", File.GetLastWriteTimeUtc(path));
        }
    }

    /// <summary>Stops trusting a key added at run time; packages already installed stay installed.</summary>
    /// <param name="fingerprint">The key's fingerprint (16 hex digits).</param>
    /// <returns>The key that was removed.</returns>
    /// <exception cref="PluginException">No trusted key has that fingerprint (NotFound), or it comes from the settings (FailedPrecondition).</exception>
    public TrustedKey Remove(string fingerprint)
    {
        ArgumentNullException.ThrowIfNull(fingerprint);
        RefuseInCluster();
        lock (_changes)
        {
            var key = List().FirstOrDefault(k => string.Equals(k.Fingerprint, fingerprint, StringComparison.OrdinalIgnoreCase))
                ?? throw PluginException.FromHost(PluginErrorCode.NotFound, $"No trusted key has the fingerprint '{fingerprint}'. List the trusted keys with `grpcplugins keys list` (or GET keys of the management API).");
            if (key.Source == "config")
            {
                throw ConfiguredKeyCannotBeRemoved(key);
            }

            File.Delete(key.Path);
            Apply();
            return key;
        }
    }

    // The cluster's keys are changed through the cluster (the management API routes there), never in this node's folder.
    private void RefuseInCluster()
    {
        if (Volatile.Read(ref _cluster) is not null)
        {
            throw PluginException.FromHost(PluginErrorCode.FailedPrecondition, "This host is a node of a plugin cluster: its trusted keys are the cluster's. Add or remove them through the management API's keys routes (or `grpcplugins keys`), which change them on every node.");
        }
    }

    private IEnumerable<TrustedKey> Added()
    {
        if (!Directory.Exists(Folder))
        {
            return [];
        }

        return Directory.EnumerateFiles(Folder, "*.pem")
            .Select(f => Read(f, "runtime", File.GetLastWriteTimeUtc(f)))
            .Where(k => _configured.All(c => c.Fingerprint != k.Fingerprint))
            .OrderBy(k => k.AddedAt)
            .ThenBy(k => k.Fingerprint, StringComparer.Ordinal);
    }

    // A new list each time: an install reading the old one finishes with it, the next one sees the change.
    private void Apply() => _verifier.TrustedKeys = [.. List().Select(k => k.PublicKey)];

    private TrustedKey Read(string path, string source, DateTime? addedAt)
    {
        var pem = File.ReadAllText(path);
        try
        {
            return new TrustedKey(PackageSigner.KeyId(pem), source, pem, path, addedAt is { } at ? new DateTimeOffset(at, TimeSpan.Zero) : null);
        }
        catch (PackageException ex)
        {
            throw new PackageException(PackageProblem.UntrustedKey, $"The trusted key file '{path}' is not a P-256 public key ({ex.Message}). {(source == "config" ? $"Fix {_configSetting}" : "Remove the file")} and start the host again.");
        }
    }

    private static (string Fingerprint, string Pem) Normalize(string pem)
    {
        if (pem.Contains("PRIVATE KEY", StringComparison.Ordinal))
        {
            throw PluginException.FromHost(PluginErrorCode.InvalidArgument, "That is a private key: never send it anywhere. Send the public key instead (the NAME.pub.pem file `grpcplugins keygen` wrote).");
        }

        using var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            throw PluginException.FromHost(PluginErrorCode.InvalidArgument, $"The body is not a PEM public key ({ex.Message}). Send the NAME.pub.pem file `grpcplugins keygen` wrote, as text.");
        }

        if (key.KeySize != 256)
        {
            throw PluginException.FromHost(PluginErrorCode.InvalidArgument, $"The key is a {key.KeySize}-bit key; packages are signed with ECDSA P-256 keys. Send the NAME.pub.pem file `grpcplugins keygen` wrote.");
        }

        var normalized = key.ExportSubjectPublicKeyInfoPem() + "\n";
        return (PackageSigner.KeyId(normalized), normalized);
    }
}
