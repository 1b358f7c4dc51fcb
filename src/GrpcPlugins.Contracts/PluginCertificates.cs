using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace GrpcPlugins;

/// <summary>
/// The certificates of AutoMTLS (docs/security.md): each side makes an ephemeral self-signed ECDSA P-256
/// certificate, the host passes its own in <see cref="PluginProtocol.ClientCertVariable"/> as PEM, the plugin
/// answers with its own in the handshake line's sixth field, and each side accepts only the other's exact certificate.
/// </summary>
public static class PluginCertificates
{
    /// <summary>
    /// Makes an ephemeral self-signed ECDSA P-256 certificate for "localhost", valid for both TLS client and server
    /// authentication, with its private key. It lives only in memory; dispose it when the connection it serves is gone.
    /// </summary>
    /// <param name="commonName">The subject's common name, such as "grpcplugins-host". It is informative only: peers pin the whole certificate.</param>
    /// <returns>The certificate, with its private key.</returns>
    public static X509Certificate2 Create(string commonName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commonName);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}, O=GrpcPlugins", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication"), new Oid("1.3.6.1.5.5.7.3.2", "Client Authentication")],
            critical: false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());

        // A little slack before now absorbs clock differences; the certificate dies with the process long before it expires.
        var now = DateTimeOffset.UtcNow;
        var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
        if (!OperatingSystem.IsWindows())
        {
            return certificate;
        }

        // Windows' TLS stack (SChannel) cannot use an ephemeral key; a PKCS#12 round trip gives it a usable one.
        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
        }
    }

    /// <summary>Formats a certificate as the handshake's sixth field: DER in base64 without padding, as go-plugin's RawStdEncoding.</summary>
    /// <param name="certificate">The plugin's certificate.</param>
    /// <returns>The field's text.</returns>
    public static string ToHandshakeField(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToBase64String(certificate.RawData).TrimEnd('=');
    }

    /// <summary>
    /// Reads the handshake's sixth field. Accepts it with or without base64 padding. Returns false, with a reason,
    /// when the field is not a certificate.
    /// </summary>
    /// <param name="field">The field's text.</param>
    /// <param name="certificate">The certificate, without a private key, when the field is one.</param>
    /// <param name="error">Why the field is not a certificate, when it is not.</param>
    /// <returns>Whether the field holds a certificate.</returns>
    public static bool TryReadHandshakeField(string? field, out X509Certificate2? certificate, out string error)
    {
        certificate = null;
        var text = (field ?? string.Empty).Trim().TrimEnd('=');
        if (text.Length == 0)
        {
            error = "the certificate field is empty";
            return false;
        }

        var padded = text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '=');
        var der = new byte[padded.Length];
        if (!Convert.TryFromBase64String(padded, der, out var length))
        {
            error = "the certificate field is not base64";
            return false;
        }

        try
        {
            certificate = X509CertificateLoader.LoadCertificate(der.AsSpan(0, length));
            error = string.Empty;
            return true;
        }
        catch (CryptographicException ex)
        {
            error = $"the certificate field is base64 but not a DER X.509 certificate ({ex.Message})";
            return false;
        }
    }

    /// <summary>Formats a certificate, without its key, as PEM for <see cref="PluginProtocol.ClientCertVariable"/>.</summary>
    /// <param name="certificate">The host's client certificate.</param>
    /// <returns>The PEM text.</returns>
    public static string ToPem(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.ExportCertificatePem();
    }

    /// <summary>Reads a PEM certificate, as a plugin reads <see cref="PluginProtocol.ClientCertVariable"/>. Returns false, with a reason, when it is not one.</summary>
    /// <param name="pem">The PEM text.</param>
    /// <param name="certificate">The certificate, without a private key, when the text is one.</param>
    /// <param name="error">Why the text is not a certificate, when it is not.</param>
    /// <returns>Whether the text holds a certificate.</returns>
    public static bool TryReadPem(string? pem, out X509Certificate2? certificate, out string error)
    {
        certificate = null;
        try
        {
            certificate = X509Certificate2.CreateFromPem(pem ?? string.Empty);
            error = string.Empty;
            return true;
        }
        catch (CryptographicException ex)
        {
            error = $"it is not a PEM certificate ({ex.Message})";
            return false;
        }
    }

    /// <summary>Whether a certificate a peer presented is byte for byte the pinned one.</summary>
    /// <param name="presented">The certificate the peer presented, if any.</param>
    /// <param name="pinned">The certificate the peer announced out of band.</param>
    /// <returns>True only for the very same certificate.</returns>
    public static bool Matches(X509Certificate? presented, X509Certificate2 pinned)
    {
        ArgumentNullException.ThrowIfNull(pinned);
        return presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(pinned.RawData);
    }
}
