using GrpcPlugins;
using Microsoft.Extensions.Time.Testing;
using UsersFileAuth.Internal;

namespace UsersFileAuth.Tests;

public sealed class OidcValidatorTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly TempFolder _folder = new();
    private readonly OidcTestKeys _provider = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly string _jwksPath;

    public OidcValidatorTests()
    {
        _jwksPath = _folder.File("jwks.json");
        _provider.WriteJwks(_jwksPath);
    }

    public void Dispose()
    {
        _provider.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task ValidateAsync_ValidToken_ReturnsUserWithRolesFromClaim()
    {
        // Arrange
        var validator = Create();
        var token = _provider.SignIdToken(_time.GetUtcNow());

        // Act
        var user = await validator.ValidateAsync(token).WaitAsync(Timeout);

        // Assert
        Assert.Equal("248289761001", user.Id);
        Assert.Equal("jane", user.Username);
        Assert.Equal("Jane Doe", user.DisplayName);
        Assert.Equal(["reader", "writer"], user.Roles);
    }

    [Fact]
    public async Task ValidateAsync_CustomRoleClaimWithSingleValue_ReadsIt()
    {
        // Arrange
        var validator = Create(roleClaim: "groups");
        var token = _provider.SignIdToken(_time.GetUtcNow(), claims: new Dictionary<string, object>
        {
            ["sub"] = "u-7",
            ["email"] = "sam@example.test",
            ["groups"] = "admin",
        });

        // Act
        var user = await validator.ValidateAsync(token).WaitAsync(Timeout);

        // Assert
        Assert.Equal("sam@example.test", user.Username);
        Assert.Equal(["admin"], user.Roles);
    }

    [Fact]
    public async Task ValidateAsync_WrongIssuer_UnauthenticatedNamingIssuer()
    {
        // Arrange
        var validator = Create();
        var token = _provider.SignIdToken(_time.GetUtcNow(), issuer: "https://evil.example.test");

        // Act
        var error = await Assert.ThrowsAsync<PluginException>(() => validator.ValidateAsync(token).WaitAsync(Timeout));

        // Assert
        Assert.Equal(PluginErrorCode.Unauthenticated, error.Code);
        Assert.Contains("issuer", error.Message);
    }

    [Fact]
    public async Task ValidateAsync_WrongAudience_UnauthenticatedNamingAudience()
    {
        // Arrange
        var validator = Create();
        var token = _provider.SignIdToken(_time.GetUtcNow(), audience: "someone-else");

        // Act
        var error = await Assert.ThrowsAsync<PluginException>(() => validator.ValidateAsync(token).WaitAsync(Timeout));

        // Assert
        Assert.Equal(PluginErrorCode.Unauthenticated, error.Code);
        Assert.Contains("audience", error.Message);
    }

    [Fact]
    public async Task ValidateAsync_ExpiredToken_UnauthenticatedSayingExpired()
    {
        // Arrange
        var validator = Create();
        var token = _provider.SignIdToken(_time.GetUtcNow(), lifetime: TimeSpan.FromMinutes(5));
        _time.Advance(TimeSpan.FromMinutes(10));

        // Act
        var error = await Assert.ThrowsAsync<PluginException>(() => validator.ValidateAsync(token).WaitAsync(Timeout));

        // Assert
        Assert.Equal(PluginErrorCode.Unauthenticated, error.Code);
        Assert.Contains("expired", error.Message);
    }

    [Fact]
    public async Task ValidateAsync_SignedWithOtherKeyOfSameId_UnauthenticatedSayingSignature()
    {
        // Arrange
        var validator = Create();
        using var impostor = new OidcTestKeys(_provider.KeyId);
        var token = impostor.SignIdToken(_time.GetUtcNow());

        // Act
        var error = await Assert.ThrowsAsync<PluginException>(() => validator.ValidateAsync(token).WaitAsync(Timeout));

        // Assert
        Assert.Equal(PluginErrorCode.Unauthenticated, error.Code);
        Assert.Contains("signature", error.Message);
    }

    [Fact]
    public async Task ValidateAsync_SignedWithUnknownKeyId_UnauthenticatedSayingSignature()
    {
        // Arrange
        var validator = Create();
        using var stranger = new OidcTestKeys("key-2");
        var token = stranger.SignIdToken(_time.GetUtcNow());

        // Act
        var error = await Assert.ThrowsAsync<PluginException>(() => validator.ValidateAsync(token).WaitAsync(Timeout));

        // Assert
        Assert.Equal(PluginErrorCode.Unauthenticated, error.Code);
        Assert.Contains("signature", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-jwt")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")]
    public async Task ValidateAsync_GarbageOrUnsignedToken_Unauthenticated(string token)
    {
        // Arrange
        var validator = Create();

        // Act
        var error = await Assert.ThrowsAsync<PluginException>(() => validator.ValidateAsync(token).WaitAsync(Timeout));

        // Assert
        Assert.Equal(PluginErrorCode.Unauthenticated, error.Code);
    }

    [Fact]
    public void Create_MissingJwksFile_InvalidArgumentNamingFile()
    {
        // Arrange
        var path = _folder.File("missing-jwks.json");

        // Act
        var error = Assert.Throws<PluginException>(() => OidcValidator.Create(OidcTestKeys.Issuer, OidcTestKeys.Audience, path, "roles", _time));

        // Assert
        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains(path, error.Message);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("{ \"keys\": [] }")]
    public void Create_UnusableJwksFile_InvalidArgument(string content)
    {
        // Arrange
        var path = _folder.File("bad-jwks.json");
        File.WriteAllText(path, content);

        // Act
        var error = Assert.Throws<PluginException>(() => OidcValidator.Create(OidcTestKeys.Issuer, OidcTestKeys.Audience, path, "roles", _time));

        // Assert
        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
    }

    private OidcValidator Create(string roleClaim = "roles") =>
        OidcValidator.Create(OidcTestKeys.Issuer, OidcTestKeys.Audience, _jwksPath, roleClaim, _time);
}
