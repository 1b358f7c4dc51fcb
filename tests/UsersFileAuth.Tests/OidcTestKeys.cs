using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace UsersFileAuth.Tests;

/// <summary>An ECDSA P-256 key pair standing in for an OIDC provider: writes its JWKS file and signs ID tokens.</summary>
internal sealed class OidcTestKeys : IDisposable
{
    public const string Issuer = "https://id.example.test/realms/main";
    public const string Audience = "grpcplugins-host";

    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public OidcTestKeys(string keyId = "key-1")
    {
        KeyId = keyId;
    }

    public string KeyId { get; }

    public void WriteJwks(string path)
    {
        var parameters = _key.ExportParameters(includePrivateParameters: false);
        var jwks = new
        {
            keys = new[]
            {
                new Dictionary<string, string>
                {
                    ["kty"] = "EC",
                    ["crv"] = "P-256",
                    ["kid"] = KeyId,
                    ["use"] = "sig",
                    ["alg"] = "ES256",
                    ["x"] = Base64Url.EncodeToString(parameters.Q.X),
                    ["y"] = Base64Url.EncodeToString(parameters.Q.Y),
                },
            },
        };
        File.WriteAllText(path, JsonSerializer.Serialize(jwks));
    }

    public string SignIdToken(
        DateTimeOffset now,
        string issuer = Issuer,
        string audience = Audience,
        TimeSpan? lifetime = null,
        IDictionary<string, object>? claims = null)
    {
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + (lifetime ?? TimeSpan.FromMinutes(5))).UtcDateTime,
            Claims = claims ?? new Dictionary<string, object>
            {
                ["sub"] = "248289761001",
                ["preferred_username"] = "jane",
                ["name"] = "Jane Doe",
                ["roles"] = new[] { "reader", "writer" },
            },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(_key) { KeyId = KeyId }, SecurityAlgorithms.EcdsaSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    public void Dispose() => _key.Dispose();
}
