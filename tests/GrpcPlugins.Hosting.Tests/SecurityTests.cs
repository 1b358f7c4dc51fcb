using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using GrpcPlugins.Hosting.Internal;
using GrpcPlugins.Plugin.V1;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.Hosting.Tests;

/// <summary>AutoMTLS certificates and handshake checks, checksum pinning and the environment allow-list.</summary>
public sealed class SecurityTests
{
    [Fact]
    public void ToHandshakeField_Certificate_IsUnpaddedBase64OfDerThatReadsBack()
    {
        using var certificate = PluginCertificates.Create("test");

        var field = PluginCertificates.ToHandshakeField(certificate);
        Assert.True(PluginCertificates.TryReadHandshakeField(field, out var read, out var error), error);
        using var _ = read;

        Assert.DoesNotContain('=', field);
        Assert.DoesNotContain('|', field);
        Assert.Equal(certificate.RawData, Convert.FromBase64String(field.PadRight((field.Length + 3) / 4 * 4, '=')));
        Assert.Equal(certificate.RawData, read!.RawData);
        Assert.True(PluginCertificates.Matches(read, certificate));
    }

    [Fact]
    public void Create_Twice_GivesEphemeralEcdsaP256Certificates()
    {
        using var first = PluginCertificates.Create("a");
        using var second = PluginCertificates.Create("a");
        using var key = first.GetECDsaPrivateKey();

        Assert.Equal(256, key?.KeySize);
        Assert.True(first.HasPrivateKey);
        Assert.False(PluginCertificates.Matches(second, first));
        Assert.False(PluginCertificates.Matches(null, first));
    }

    [Fact]
    public void ToPem_Certificate_ReadsBackWithoutPrivateKey()
    {
        using var certificate = PluginCertificates.Create("host");

        var pem = PluginCertificates.ToPem(certificate);
        Assert.True(PluginCertificates.TryReadPem(pem, out var read, out var error), error);
        using var _ = read;

        Assert.StartsWith("-----BEGIN CERTIFICATE-----", pem);
        Assert.DoesNotContain("PRIVATE KEY", pem);
        Assert.False(read!.HasPrivateKey);
        Assert.Equal(certificate.RawData, read.RawData);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("not-a-certificate!", "not base64")]
    [InlineData("aGVsbG8gd29ybGQ", "not a DER X.509 certificate")]
    public void TryReadHandshakeField_Malformed_SaysWhy(string field, string reason)
    {
        Assert.False(PluginCertificates.TryReadHandshakeField(field, out var certificate, out var error));
        Assert.Null(certificate);
        Assert.Contains(reason, error);
    }

    [Fact]
    public void CheckHandshake_AutoMtlsRequestedButNoCertificate_SaysHowToFix()
    {
        var problem = PluginHostProtocol.CheckHandshake(Handshake(string.Empty), autoMtls: true);

        Assert.Contains("did not answer the host's AutoMTLS request", problem);
        Assert.Contains("AutoMtls to false", problem);
    }

    [Fact]
    public void CheckHandshake_MalformedCertificate_SaysItIsMalformed()
    {
        var problem = PluginHostProtocol.CheckHandshake(Handshake("bm9wZQ"), autoMtls: true);

        Assert.Contains("malformed AutoMTLS certificate", problem);
    }

    [Fact]
    public void CheckHandshake_CertificateNotAskedFor_IsRefused()
    {
        using var certificate = PluginCertificates.Create("plugin");

        var problem = PluginHostProtocol.CheckHandshake(Handshake(PluginCertificates.ToHandshakeField(certificate)), autoMtls: false);

        Assert.Contains("did not ask for AutoMTLS", problem);
    }

    [Fact]
    public void CheckHandshake_AutoMtlsWithCertificate_IsAccepted()
    {
        using var certificate = PluginCertificates.Create("plugin");

        Assert.Null(PluginHostProtocol.CheckHandshake(Handshake(PluginCertificates.ToHandshakeField(certificate)), autoMtls: true));
    }

    [Theory]
    [InlineData("tcp", null, true)]
    [InlineData("tcp", false, false)]
    [InlineData("unix", null, false)]
    [InlineData("unix", true, true)]
    public void UsesAutoMtls_TransportAndSetting_OnForTcpByDefault(string transport, bool? setting, bool expected)
    {
        var options = new PluginOptions { Transport = transport, AutoMtls = setting };

        Assert.Equal(expected, PluginStartInfo.UsesAutoMtls(options));
    }

    [Theory]
    [InlineData("sha256:0123456789abcdef0123456789abcdef0123456789ABCDEF0123456789abcdef", true)]
    [InlineData("SHA256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false)]
    [InlineData("sha256:0123", false)]
    [InlineData("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg", false)]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e", false)]
    public void Validate_Checksum_AcceptsOnlySha256Hex(string checksum, bool valid)
    {
        var options = new PluginOptions { Name = "p", Type = PluginType.Storage, Command = "p.dll", Checksum = checksum };

        var problems = options.Validate().ToList();

        Assert.Equal(valid, problems.Count == 0);
        if (!valid)
        {
            Assert.Contains("use 'sha256:' followed by the 64 hex digits", Assert.Single(problems));
        }
    }

    [Fact]
    public void Create_ChecksumMismatch_RefusesNamingBothHashes()
    {
        var dll = Path.Combine(Directory.CreateTempSubdirectory("gp-sum-").FullName, "plugin.dll");
        File.WriteAllText(dll, "not really a plugin");
        var actual = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(dll)));
        var options = new PluginOptions { Name = "p", Type = PluginType.Storage, Command = dll, Checksum = "sha256:" + new string('a', 64) };

        var error = Assert.Throws<PluginException>(() => PluginStartInfo.Create(options, new GrpcPluginsOptions()));
        options.Checksum = "sha256:" + actual;
        var startInfo = PluginStartInfo.Create(options, new GrpcPluginsOptions());

        Assert.Equal(PluginErrorCode.FailedPrecondition, error.Code);
        Assert.Contains("sha256:" + actual, error.Message);
        Assert.Contains("sha256:" + new string('a', 64), error.Message);
        Assert.Contains(dll, startInfo.ArgumentList);
    }

    [Theory]
    [InlineData("PATH", true)]
    [InlineData("LC_ALL", true)]
    [InlineData("DOTNET_ROOT", true)]
    [InlineData("SSL_CERT_FILE", true)]
    [InlineData("OTEL_SERVICE_NAME", true)]
    [InlineData("OTELX", false)]
    [InlineData("AWS_SECRET_ACCESS_KEY", false)]
    [InlineData("FILETRANSFER_SECRET", false)]
    [InlineData("PATHX", false)]
    public void IsAllowed_DefaultsAndWildcard_MatchNameOrPrefix(string name, bool allowed)
    {
        var patterns = GrpcPluginsOptions.DefaultEnvironmentAllowList;

        Assert.Equal(allowed, PluginEnvironmentFilter.IsAllowed(name, patterns));
    }

    [Fact]
    public void Create_HostEnvironment_PassesOnlyAllowedProtocolAndOwnVariables()
    {
        using var certificate = PluginCertificates.Create("host");
        var options = new PluginOptions { Name = "p", Type = PluginType.Storage, Command = "/bin/true", Environment = { ["OWN"] = "1" } };
        var host = new GrpcPluginsOptions { EnvironmentAllowList = ["EXTRA_*"] };
        Environment.SetEnvironmentVariable("HOSTING_TESTS_SECRET", "s3cret");
        Environment.SetEnvironmentVariable("EXTRA_ONE", "x");
        Environment.SetEnvironmentVariable("OTEL_HOSTING_TESTS_PROBE", "otel");
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s3cret");
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "api-key=s3cret");

        var env = PluginStartInfo.Create(options, host, certificate).Environment;

        Assert.False(env.ContainsKey("HOSTING_TESTS_SECRET"));
        Assert.Equal("x", env["EXTRA_ONE"]);
        Assert.Equal("1", env["OWN"]);
        Assert.Equal("otel", env["OTEL_HOSTING_TESTS_PROBE"]);
        Assert.False(env.ContainsKey("OTEL_EXPORTER_OTLP_HEADERS"));
        Assert.False(env.ContainsKey("OTEL_EXPORTER_OTLP_TRACES_HEADERS"));
        Assert.Equal(Environment.GetEnvironmentVariable("PATH"), env["PATH"]);
        Assert.Equal(PluginProtocol.MagicCookieValue, env[PluginProtocol.MagicCookieKey]);
        Assert.Equal(PluginCertificates.ToPem(certificate), env[PluginProtocol.ClientCertVariable]);
    }

    [Fact]
    public void Create_GoPluginHandshake_SetsTheApplicationsCookieVersionsAndStdinWatch()
    {
        var options = new PluginOptions
        {
            Name = "p", Type = PluginType.Auth, Command = "/bin/true", GoPlugin = true,
            MagicCookieKey = "APP_PLUGIN", MagicCookieValue = "app-value", ProtocolVersions = [3, 4],
        };

        var env = PluginStartInfo.Create(options, new GrpcPluginsOptions()).Environment;

        Assert.Equal("app-value", env["APP_PLUGIN"]);
        Assert.False(env.ContainsKey(PluginProtocol.MagicCookieKey));
        Assert.Equal("3,4", env[PluginProtocol.ProtocolVersionsVariable]);
        Assert.Equal("1", env[PluginProtocol.StdinWatchVariable]);
    }

    [Fact]
    public void Create_CollectorHeadersNamedByAllowList_PassedOn()
    {
        using var certificate = PluginCertificates.Create("host");
        var options = new PluginOptions { Name = "p", Type = PluginType.Storage, Command = "/bin/true" };
        var host = new GrpcPluginsOptions { EnvironmentAllowList = ["OTEL_EXPORTER_OTLP_HEADERS"] };
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s3cret");

        var env = PluginStartInfo.Create(options, host, certificate).Environment;

        Assert.Equal("api-key=s3cret", env["OTEL_EXPORTER_OTLP_HEADERS"]);
    }

    [Fact]
    public void AddGrpcPlugins_SecuritySettings_BindFromConfiguration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Plugins:files:Type"] = "Storage",
            ["Plugins:files:Command"] = "files.dll",
            ["Plugins:files:AutoMtls"] = "true",
            ["Plugins:files:Checksum"] = "sha256:" + new string('b', 64),
            ["GrpcPlugins:EnvironmentAllowList:0"] = "OTEL_*",
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddGrpcPlugins(configuration).Services.BuildServiceProvider();

        var options = services.GetRequiredService<IOptions<GrpcPluginsOptions>>().Value;

        Assert.True(options.Plugins["files"].AutoMtls);
        Assert.Equal("sha256:" + new string('b', 64), options.Plugins["files"].Checksum);
        Assert.Equal(["OTEL_*"], options.EnvironmentAllowList);
    }

    private static HandshakeLine Handshake(string certificate) => new(1, 1, "tcp", "127.0.0.1:5000", "grpc", certificate);

}
