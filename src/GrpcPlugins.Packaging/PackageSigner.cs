using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace GrpcPlugins.Packaging;

/// <summary>
/// Signs manifests with ECDSA P-256 and SHA-256, as Grafana signs plugin manifests: the signature covers
/// <see cref="PluginManifest.CanonicalBytes()"/> (RFC 8785), and so every file's checksum. Signatures of the first
/// format (no <c>canonicalization</c> field) still verify. Keys are PEM text: PKCS#8 private keys,
/// SubjectPublicKeyInfo public keys.
/// </summary>
public static class PackageSigner
{
    /// <summary>The signature algorithm written in <c>signature.algorithm</c>.</summary>
    public const string Algorithm = "ecdsa-p256-sha256";

    /// <summary>The canonicalization written in <c>signature.canonicalization</c>: RFC 8785, the JSON Canonicalization Scheme.</summary>
    public const string Canonicalization = "rfc8785";

    /// <summary>Creates a new P-256 key pair.</summary>
    /// <returns>The private key (PKCS#8 PEM; keep it secret) and the public key (PEM; give it to hosts to trust).</returns>
    public static (string PrivateKeyPem, string PublicKeyPem) CreateKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return (key.ExportPkcs8PrivateKeyPem(), key.ExportSubjectPublicKeyInfoPem());
    }

    /// <summary>The id of a key: the first 16 hex digits of the SHA-256 of its public key (SubjectPublicKeyInfo DER).</summary>
    /// <param name="keyPem">A public or private key, PEM.</param>
    /// <returns>The key id.</returns>
    /// <exception cref="PackageException">The text is not a P-256 key.</exception>
    public static string KeyId(string keyPem)
    {
        using var key = Import(keyPem);
        return KeyIdOf(key);
    }

    /// <summary>Returns the manifest with a signature by a private key.</summary>
    /// <param name="manifest">The manifest; its <c>signature</c>, if any, is replaced.</param>
    /// <param name="privateKeyPem">The private key, PKCS#8 PEM.</param>
    /// <returns>The signed manifest.</returns>
    /// <exception cref="PackageException">The key is not a P-256 private key.</exception>
    public static PluginManifest Sign(PluginManifest manifest, string privateKeyPem)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        using var key = Import(privateKeyPem);
        var value = key.SignData(manifest.CanonicalBytes(), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var json = (JsonObject)manifest.Json.DeepClone();
        json["signature"] = new JsonObject
        {
            ["algorithm"] = Algorithm,
            ["canonicalization"] = Canonicalization,
            ["keyId"] = KeyIdOf(key),
            ["value"] = Convert.ToBase64String(value),
        };
        return PluginManifest.FromJson(json);
    }

    /// <summary>Whether a manifest's signature was made by a key.</summary>
    /// <param name="manifest">The signed manifest.</param>
    /// <param name="publicKeyPem">The public key, PEM.</param>
    /// <returns>Whether the signature is valid; false when there is none or its value is not base64.</returns>
    public static bool IsValid(PluginManifest manifest, string publicKeyPem)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest.Signature is not { } signature)
        {
            return false;
        }

        var value = new byte[signature.Value.Length];
        if (!Convert.TryFromBase64String(signature.Value, value, out var length))
        {
            return false;
        }

        using var key = Import(publicKeyPem);
        return key.VerifyData(manifest.CanonicalBytes(signature.Canonicalization), value.AsSpan(0, length), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    internal static string KeyIdOf(ECDsa key) =>
        Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];

    private static ECDsa Import(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            if (key.KeySize != 256)
            {
                throw new CryptographicException($"the key has {key.KeySize} bits");
            }

            return key;
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            key.Dispose();
            throw new PackageException(PackageProblem.SignatureInvalid, $"The key is not an ECDSA P-256 key in PEM form ({ex.Message}). Make one with `grpcplugins keygen`.", ex);
        }
    }
}
