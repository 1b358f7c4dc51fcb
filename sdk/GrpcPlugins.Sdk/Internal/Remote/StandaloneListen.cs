using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>
/// How a plugin serves as its own service, for hosts that attach to it remotely (a host's <c>Remote</c> options), when
/// <see cref="ListenVariable"/> is set: on that TCP address, with TLS from <see cref="CertificateVariable"/> (and
/// <see cref="KeyVariable"/>), admitting only clients whose certificate is signed by <see cref="ClientCaVariable"/>.
/// Plaintext only with <see cref="InsecureVariable"/> and on loopback. No host started it: there is no magic cookie,
/// stdin watch, parent process or data channel.
/// </summary>
internal sealed class StandaloneListen : IDisposable
{
    /// <summary>The address to serve on, such as <c>tcp://0.0.0.0:7443</c>; port 0 picks a free one.</summary>
    public const string ListenVariable = "GRPCPLUGINS_LISTEN";

    /// <summary>The PEM file of the service's certificate (and its key, unless <see cref="KeyVariable"/> names another file).</summary>
    public const string CertificateVariable = "GRPCPLUGINS_TLS_CERT";

    /// <summary>The PEM file of the service certificate's private key.</summary>
    public const string KeyVariable = "GRPCPLUGINS_TLS_KEY";

    /// <summary>The PEM file of the CA that signs the hosts' client certificates; only those clients are let in.</summary>
    public const string ClientCaVariable = "GRPCPLUGINS_TLS_CLIENT_CA";

    /// <summary>"1" serves plaintext without TLS, allowed only on a loopback address, for development.</summary>
    public const string InsecureVariable = "GRPCPLUGINS_LISTEN_INSECURE";

    private readonly X509Certificate2Collection _clientAuthorities;

    private StandaloneListen(IPEndPoint endPoint, X509Certificate2? certificate, X509Certificate2Collection clientAuthorities)
    {
        EndPoint = endPoint;
        Certificate = certificate;
        _clientAuthorities = clientAuthorities;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>The service's certificate; null when it serves plaintext.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>Where refused clients are logged; set once the application is built.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>
    /// Reads the listen settings. Null, with an empty error, when <see cref="ListenVariable"/> is not set (a host starts
    /// the plugin); null with an error for stderr when they are unusable.
    /// </summary>
    public static StandaloneListen? Read(Func<string, string?> variable, out string error)
    {
        error = string.Empty;
        var listen = variable(ListenVariable);
        if (string.IsNullOrWhiteSpace(listen))
        {
            return null;
        }

        if (!Uri.TryCreate(listen, UriKind.Absolute, out var uri) || uri.Scheme != "tcp" || uri.Port < 0
            || !IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address))
        {
            error = $"{ListenVariable} is '{listen}': give the TCP address to serve on as tcp://IP:PORT, such as tcp://0.0.0.0:7443.";
            return null;
        }

        var endPoint = new IPEndPoint(address, uri.Port);
        if (variable(InsecureVariable) == "1")
        {
            if (!IPAddress.IsLoopback(address))
            {
                error = $"{InsecureVariable}=1 serves without TLS, which is allowed only on a loopback address, not {address}. Set {CertificateVariable}, {KeyVariable} and {ClientCaVariable} to serve with mutual TLS.";
                return null;
            }

            return new StandaloneListen(endPoint, null, []);
        }

        var certificateFile = variable(CertificateVariable);
        var keyFile = variable(KeyVariable);
        var clientCaFile = variable(ClientCaVariable);
        if (string.IsNullOrWhiteSpace(certificateFile) || string.IsNullOrWhiteSpace(clientCaFile))
        {
            error = $"Serving on {listen} needs mutual TLS: set {CertificateVariable} (the PEM certificate of this service), {KeyVariable} (its PEM private key) and {ClientCaVariable} (the PEM CA that signs the hosts' client certificates). docs/deploy.md shows how to make them with openssl.";
            return null;
        }

        X509Certificate2 certificate;
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certificateFile, string.IsNullOrWhiteSpace(keyFile) ? null : keyFile);
            certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            error = $"Could not read the service's certificate from {CertificateVariable} '{certificateFile}'{(string.IsNullOrWhiteSpace(keyFile) ? string.Empty : $" and {KeyVariable} '{keyFile}'")}: {ex.Message}. Give PEM files of the certificate and its private key.";
            return null;
        }

        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(clientCaFile);
            if (authorities.Count == 0)
            {
                throw new CryptographicException("the file holds no PEM certificate");
            }
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            certificate.Dispose();
            error = $"Could not read {ClientCaVariable} '{clientCaFile}': {ex.Message}. Give the PEM file of the CA that signs the hosts' client certificates.";
            return null;
        }

        return new StandaloneListen(endPoint, certificate, authorities);
    }

    /// <summary>Kestrel's TLS: this service's certificate, and only clients whose certificate the client CA signed.</summary>
    public HttpsConnectionAdapterOptions Https() => new()
    {
        ServerCertificate = Certificate,
        SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        ClientCertificateMode = ClientCertificateMode.RequireCertificate,
        CheckCertificateRevocation = false,
        ClientCertificateValidation = (presented, _, _) => IsSignedByClientCa(presented),
    };

    public void Dispose() => Certificate?.Dispose();

    private bool IsSignedByClientCa(X509Certificate2 presented)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_clientAuthorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        if (chain.Build(presented))
        {
            return true;
        }

        if (Logger is { } logger)
        {
            var why = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
            SdkLog.ClientRefused(logger, presented.Subject, why, ClientCaVariable);
        }

        return false;
    }
}
