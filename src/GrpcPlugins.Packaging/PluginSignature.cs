namespace GrpcPlugins.Packaging;

/// <summary>The signature of a manifest, from <c>plugin.json</c>'s <c>signature</c>.</summary>
/// <param name="Algorithm">Always <see cref="PackageSigner.Algorithm"/>.</param>
/// <param name="KeyId">The id of the signing key (see <see cref="PackageSigner.KeyId(string)"/>).</param>
/// <param name="Value">The ECDSA P-256 signature over <see cref="PluginManifest.CanonicalBytes"/>, base64 (r and s, 64 bytes).</param>
public sealed record PluginSignature(string Algorithm, string KeyId, string Value);
