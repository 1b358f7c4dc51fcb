using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// The certificates of a remote plugin's TLS: the host's client certificate read from PEM files, and the check of the
/// server's certificate against a SHA-256 pin and/or a private certificate authority (never the system's roots).
/// </summary>
internal static class RemoteCertificates
{
    /// <summary>Parses a SHA-256 pin: 64 hex digits, colons and a <c>sha256:</c> prefix allowed, any case.</summary>
    public static bool TryParsePin(string? text, out byte[] pin)
    {
        pin = [];
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        // As openssl prints it too: "sha256 Fingerprint=3A:5F:...".
        var hex = text.Trim();
        hex = hex[(hex.LastIndexOf('=') + 1)..];
        if (hex.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase))
        {
            hex = hex["sha256:".Length..];
        }

        hex = hex.Replace(":", string.Empty, StringComparison.Ordinal);
        if (hex.Length != 64 || !hex.All(Uri.IsHexDigit))
        {
            return false;
        }

        pin = Convert.FromHexString(hex);
        return true;
    }

    /// <summary>The SHA-256 of a certificate's DER bytes, as colon-separated upper-case hex (openssl's fingerprint format).</summary>
    public static string Fingerprint(X509Certificate certificate) =>
        string.Join(':', SHA256.HashData(certificate.GetRawCertData()).Select(b => b.ToString("X2", CultureInfo.InvariantCulture)));

    /// <summary>Reads the host's client certificate and key; a missing or unusable file fails with the setting to fix.</summary>
    public static X509Certificate2 LoadClientCertificate(string pluginName, string certificateFile, string? keyFile)
    {
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
            // An ephemeral key from PEM cannot be presented by SslStream on every platform; a PKCS#12 round trip can.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw PluginException.FromHost(
                PluginErrorCode.FailedPrecondition,
                $"Plugin '{pluginName}': could not read the host's client certificate from Remote.ClientCertificateFile '{certificateFile}'{(keyFile is null ? string.Empty : $" and Remote.ClientKeyFile '{keyFile}'")} ({ex.Message}). Give PEM files of the certificate and its private key, readable by the host.",
                pluginName,
                ex);
        }
    }

    /// <summary>Reads the certificate authority that must have signed the plugin service's certificate.</summary>
    public static X509Certificate2Collection LoadAuthority(string pluginName, string file)
    {
        try
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(file);
            return authorities.Count > 0 ? authorities : throw new CryptographicException("the file holds no PEM certificate");
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw PluginException.FromHost(
                PluginErrorCode.FailedPrecondition,
                $"Plugin '{pluginName}': could not read Remote.CertificateAuthorityFile '{file}' ({ex.Message}). Give the PEM file of the CA that signed the plugin service's certificate.",
                pluginName,
                ex);
        }
    }

    /// <summary>
    /// Checks the certificate a plugin service presented: it must have the pinned SHA-256 when a pin is set, and chain to
    /// the configured authority, naming the host dialed, when one is set. Returns null when it is accepted, else why not,
    /// naming the setting to fix.
    /// </summary>
    public static string? Check(X509Certificate? presented, SslPolicyErrors errors, byte[]? pin, X509Certificate2Collection? authorities, string address)
    {
        if (presented is null)
        {
            return $"the plugin service at {address} presented no certificate";
        }

        if (pin is not null && !CryptographicOperations.FixedTimeEquals(SHA256.HashData(presented.GetRawCertData()), pin))
        {
            return $"the plugin service at {address} presented a certificate with SHA-256 {Fingerprint(presented)}, which is not the one pinned in Remote.ServerCertificateSha256. If the service's certificate was renewed on purpose, set Remote.ServerCertificateSha256 to the new value; otherwise something else answers at that address";
        }

        if (authorities is null)
        {
            return null;
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return $"the plugin service at {address} presented a certificate for another name ({presented.Subject}). Give its certificate a subject alternative name for the host of Remote.Address, or dial the name it has";
        }

        using var loaded = presented is X509Certificate2 ? null : X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        var server = presented as X509Certificate2 ?? loaded!;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (!chain.Build(server))
        {
            var why = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
            return $"the plugin service at {address} presented a certificate ({presented.Subject}) that is not signed by the CA in Remote.CertificateAuthorityFile ({why}). Point Remote.CertificateAuthorityFile at the CA that signed the service's certificate";
        }

        return null;
    }
}
