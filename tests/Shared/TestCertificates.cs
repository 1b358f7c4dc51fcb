using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace GrpcPlugins.TestSupport;

/// <summary>
/// A private certificate authority made in-process for mutual-TLS tests (CertificateRequest), with its server and client
/// certificates written as PEM files into a temporary folder, as an operator would make them with openssl.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    private readonly X509Certificate2 _authority;

    public TestCertificates(string name = "grpcplugins-test-ca")
    {
        Folder = Directory.CreateTempSubdirectory("grpcplugins-certs-").FullName;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        _authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        AuthorityFile = Path.Combine(Folder, "ca.crt");
        File.WriteAllText(AuthorityFile, _authority.ExportCertificatePem());
    }

    /// <summary>The temporary folder of the PEM files.</summary>
    public string Folder { get; }

    /// <summary>The CA's certificate, PEM.</summary>
    public string AuthorityFile { get; }

    /// <summary>Issues a server certificate for 127.0.0.1 and localhost; returns its PEM files and SHA-256 pin.</summary>
    public (string Certificate, string Key, string Sha256) IssueServer(string name) =>
        Issue(name, new Oid("1.3.6.1.5.5.7.3.1"), san =>
        {
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
        });

    /// <summary>Issues a client certificate; returns its PEM files and SHA-256.</summary>
    public (string Certificate, string Key, string Sha256) IssueClient(string name) =>
        Issue(name, new Oid("1.3.6.1.5.5.7.3.2"), san => san.AddDnsName(name));

    public void Dispose()
    {
        _authority.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private (string Certificate, string Key, string Sha256) Issue(string name, Oid usage, Action<SubjectAlternativeNameBuilder> names)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        var san = new SubjectAlternativeNameBuilder();
        names(san);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_authority, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var certificate = request.Create(_authority, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), serial);
        var certificateFile = Path.Combine(Folder, name + ".crt");
        var keyFile = Path.Combine(Folder, name + ".key");
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (certificateFile, keyFile, Convert.ToHexString(SHA256.HashData(certificate.RawData)));
    }
}
