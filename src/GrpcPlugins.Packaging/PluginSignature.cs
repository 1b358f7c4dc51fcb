namespace GrpcPlugins.Packaging;

/// <summary>The signature of a manifest, from <c>plugin.json</c>'s <c>signature</c>.</summary>
/// <param name="Algorithm">Always <see cref="PackageSigner.Algorithm"/>.</param>
/// <param name="KeyId">The id of the signing key (see <see cref="PackageSigner.KeyId(string)"/>).</param>
/// <param name="Value">The ECDSA P-256 signature over <see cref="PluginManifest.CanonicalBytes()"/>, base64 (r and s, 64 bytes).</param>
public sealed record PluginSignature(string Algorithm, string KeyId, string Value)
{
    /// <summary>
    /// How the signed bytes were canonicalized, from <c>signature.canonicalization</c>: <see cref="PackageSigner.Canonicalization"/>
    /// (RFC 8785), or null for a signature of the first format (keys sorted, System.Text.Json's escaping), which
    /// hosts still verify. Defaults to null.
    /// </summary>
    public string? Canonicalization { get; init; }
}
