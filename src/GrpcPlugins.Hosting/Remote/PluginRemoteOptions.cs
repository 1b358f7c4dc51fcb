using System.Net;

namespace GrpcPlugins.Hosting;

/// <summary>
/// Where a plugin that already runs as its own service listens, and how the host trusts it: the host starts no process,
/// but dials <see cref="Address"/> over TLS, checks the server's certificate against <see cref="ServerCertificateSha256"/>
/// (a pin) or <see cref="CertificateAuthorityFile"/>, presents <see cref="ClientCertificateFile"/>, and then does what it
/// does with a local plugin: health, GetMetadata, Init, and supervision by health, reconnecting with backoff instead of
/// restarting a process. Bound from a plugin's <c>Remote</c> section; see docs/deploy.md for certificates and a layout.
/// </summary>
public sealed class PluginRemoteOptions
{
    /// <summary>
    /// The plugin service's address, such as <c>https://scanner:7443</c>. Required. <c>http://</c> is refused unless
    /// <see cref="AllowInsecurePlaintext"/> is set and the host is a loopback address.
    /// </summary>
    public string Address { get; set; } = string.Empty;

    /// <summary>
    /// The SHA-256 of the plugin service's certificate (its DER bytes), as 64 hex digits, with or without colons and an
    /// optional <c>sha256:</c> prefix: what <c>openssl x509 -in server.crt -noout -fingerprint -sha256</c> prints. Only
    /// that certificate is accepted, whatever its issuer or name. Set this or <see cref="CertificateAuthorityFile"/>, or
    /// both (both must then hold). Defaults to none.
    /// </summary>
    public string? ServerCertificateSha256 { get; set; }

    /// <summary>
    /// A PEM file of the certificate authority that signed the plugin service's certificate: the server must present a
    /// certificate that chains to it (only to it, not to the system's roots) and names the host of <see cref="Address"/>.
    /// A relative path is resolved against <see cref="GrpcPluginsOptions.BaseDirectory"/>. Defaults to none.
    /// </summary>
    public string? CertificateAuthorityFile { get; set; }

    /// <summary>
    /// A PEM file of the host's client certificate, which the plugin service checks against its client CA
    /// (<c>GRPCPLUGINS_TLS_CLIENT_CA</c>). Required unless <see cref="AllowInsecurePlaintext"/>. A relative path is
    /// resolved against <see cref="GrpcPluginsOptions.BaseDirectory"/>.
    /// </summary>
    public string? ClientCertificateFile { get; set; }

    /// <summary>
    /// A PEM file of the client certificate's private key (PKCS#8, PKCS#1 or SEC1). Defaults to none: the key is read from
    /// <see cref="ClientCertificateFile"/>, which may hold both.
    /// </summary>
    public string? ClientKeyFile { get; set; }

    /// <summary>
    /// Allows <c>http://</c> (plain TCP without TLS) for an <see cref="Address"/> on a loopback address, for development
    /// only: anyone on the machine can then call the plugin, and a host on another address is still refused. Defaults to
    /// false.
    /// </summary>
    public bool AllowInsecurePlaintext { get; set; }

    /// <summary>Whether <see cref="Address"/> is plaintext (<c>http://</c>).</summary>
    internal bool IsPlaintext => Uri.TryCreate(Address, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp;

    /// <summary>Checks the options and returns what is wrong with them, one line each.</summary>
    /// <param name="who">How messages name the plugin, such as "Plugin 'scanner'".</param>
    /// <returns>The problems; empty when the options are valid.</returns>
    public IEnumerable<string> Validate(string who)
    {
        ArgumentNullException.ThrowIfNull(who);
        if (!Uri.TryCreate(Address, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.Port <= 0
            || uri.AbsolutePath != "/")
        {
            yield return $"{who} has Remote.Address '{Address}': give the plugin service's address as https://host:port, such as 'https://scanner:7443'.";
            yield break;
        }

        if (uri.Scheme == Uri.UriSchemeHttp)
        {
            if (!AllowInsecurePlaintext)
            {
                yield return $"{who} has Remote.Address '{Address}' without TLS: use https:// with Remote.ServerCertificateSha256 or Remote.CertificateAuthorityFile and a Remote.ClientCertificateFile; plain TCP needs Remote.AllowInsecurePlaintext, and only on loopback.";
            }
            else if (!IsLoopback(uri))
            {
                yield return $"{who} has Remote.Address '{Address}' without TLS on a host that is not loopback: Remote.AllowInsecurePlaintext allows only 127.0.0.1, ::1 or localhost. Use https:// with pinned certificates.";
            }

            yield break;
        }

        if (string.IsNullOrWhiteSpace(ServerCertificateSha256) && string.IsNullOrWhiteSpace(CertificateAuthorityFile))
        {
            yield return $"{who} has no Remote.ServerCertificateSha256 nor Remote.CertificateAuthorityFile: set the SHA-256 of the plugin service's certificate (openssl x509 -in server.crt -noout -fingerprint -sha256), or the PEM file of the CA that signed it.";
        }

        if (!string.IsNullOrWhiteSpace(ServerCertificateSha256) && !Internal.RemoteCertificates.TryParsePin(ServerCertificateSha256, out _))
        {
            yield return $"{who} has Remote.ServerCertificateSha256 '{ServerCertificateSha256}': give the 64 hex digits of the certificate's SHA-256 (colons allowed), as openssl x509 -noout -fingerprint -sha256 prints them.";
        }

        if (string.IsNullOrWhiteSpace(ClientCertificateFile))
        {
            yield return $"{who} has no Remote.ClientCertificateFile: the plugin service accepts only hosts with a client certificate signed by its client CA; set the PEM file of the host's certificate (and Remote.ClientKeyFile for its key).";
        }
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
