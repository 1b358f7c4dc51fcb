namespace GrpcPlugins.Management;

/// <summary>A public key whose package signatures this host trusts.</summary>
/// <param name="Fingerprint">The key's id, as packages name it in <c>signature.keyId</c>: the first 16 hex digits of the SHA-256 of its SubjectPublicKeyInfo.</param>
/// <param name="Source">"config" for a key listed in <see cref="PluginManagementOptions.TrustedKeys"/> (removed by editing the settings), "runtime" for one added through the management API or <c>grpcplugins keys add</c>, "cluster" for one added so in cluster mode (kept in the cluster's database, trusted by every node).</param>
/// <param name="PublicKey">The public key, PEM.</param>
/// <param name="Path">The file it is read from; empty for a cluster key.</param>
/// <param name="AddedAt">When a runtime key was added; null for a key from the settings.</param>
public sealed record TrustedKey(string Fingerprint, string Source, string PublicKey, string Path, DateTimeOffset? AddedAt);
