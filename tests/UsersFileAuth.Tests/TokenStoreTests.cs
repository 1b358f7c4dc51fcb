using Microsoft.Extensions.Time.Testing;
using UsersFileAuth.Internal;

namespace UsersFileAuth.Tests;

public sealed class TokenStoreTests
{
    private static readonly TimeSpan AccessLife = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan RefreshLife = TimeSpan.FromHours(1);
    private static readonly AuthenticatedUser Alice = new("id-1", "alice", "Alice", ["reader"]);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero));
    private readonly TokenStore _store;

    public TokenStoreTests()
    {
        _store = new TokenStore(_time);
    }

    [Fact]
    public void Issue_Always_GivesDistinctBase64UrlTokensWithExpiries()
    {
        // Act
        var issued = _store.Issue(Alice, AccessLife, RefreshLife);
        var other = _store.Issue(Alice, AccessLife, RefreshLife);

        // Assert
        Assert.Equal(43, issued.AccessToken.Length);
        Assert.Matches("^[A-Za-z0-9_-]+$", issued.AccessToken);
        Assert.Matches("^[A-Za-z0-9_-]+$", issued.RefreshToken);
        Assert.NotEqual(issued.AccessToken, issued.RefreshToken);
        Assert.NotEqual(issued.AccessToken, other.AccessToken);
        Assert.Equal(_time.GetUtcNow() + AccessLife, issued.AccessExpiresAt);
        Assert.Equal(_time.GetUtcNow() + RefreshLife, issued.RefreshExpiresAt);
    }

    [Fact]
    public void Validate_BeforeExpiry_ReturnsUser()
    {
        // Arrange
        var issued = _store.Issue(Alice, AccessLife, RefreshLife);
        _time.Advance(AccessLife - TimeSpan.FromSeconds(1));

        // Act
        var found = _store.Validate(issued.AccessToken);

        // Assert
        Assert.NotNull(found);
        Assert.Equal(Alice, found.User);
    }

    [Fact]
    public void Validate_AtExpiry_ReturnsNull()
    {
        // Arrange
        var issued = _store.Issue(Alice, AccessLife, RefreshLife);
        _time.Advance(AccessLife);

        // Act
        var found = _store.Validate(issued.AccessToken);

        // Assert
        Assert.Null(found);
    }

    [Theory]
    [InlineData("")]
    [InlineData("made-up-token")]
    public void Validate_UnknownToken_ReturnsNull(string token)
    {
        // Act
        var found = _store.Validate(token);

        // Assert
        Assert.Null(found);
    }

    [Fact]
    public void Validate_RefreshTokenAsAccessToken_ReturnsNull()
    {
        // Arrange
        var issued = _store.Issue(Alice, AccessLife, RefreshLife);

        // Act
        var found = _store.Validate(issued.RefreshToken);

        // Assert
        Assert.Null(found);
    }

    [Fact]
    public void Refresh_LiveRefreshToken_IssuesNewPairAndInvalidatesOldOnes()
    {
        // Arrange
        var old = _store.Issue(Alice, AccessLife, RefreshLife);
        _time.Advance(TimeSpan.FromMinutes(1));

        // Act
        var renewed = _store.Refresh(old.RefreshToken, AccessLife, RefreshLife);

        // Assert
        Assert.NotNull(renewed);
        Assert.Equal(Alice, renewed.User);
        Assert.NotEqual(old.AccessToken, renewed.AccessToken);
        Assert.NotEqual(old.RefreshToken, renewed.RefreshToken);
        Assert.Equal(_time.GetUtcNow() + AccessLife, renewed.AccessExpiresAt);
        Assert.NotNull(_store.Validate(renewed.AccessToken));
        Assert.Null(_store.Validate(old.AccessToken));
        Assert.Null(_store.Refresh(old.RefreshToken, AccessLife, RefreshLife));
    }

    [Fact]
    public void Refresh_AfterAccessTokenExpired_StillWorks()
    {
        // Arrange
        var old = _store.Issue(Alice, AccessLife, RefreshLife);
        _time.Advance(AccessLife + TimeSpan.FromMinutes(5));

        // Act
        var renewed = _store.Refresh(old.RefreshToken, AccessLife, RefreshLife);

        // Assert
        Assert.NotNull(renewed);
        Assert.NotNull(_store.Validate(renewed.AccessToken));
    }

    [Fact]
    public void Refresh_ExpiredRefreshToken_ReturnsNull()
    {
        // Arrange
        var old = _store.Issue(Alice, AccessLife, RefreshLife);
        _time.Advance(RefreshLife);

        // Act
        var renewed = _store.Refresh(old.RefreshToken, AccessLife, RefreshLife);

        // Assert
        Assert.Null(renewed);
    }

    [Fact]
    public void Refresh_AccessTokenInsteadOfRefreshToken_ReturnsNullAndKeepsToken()
    {
        // Arrange
        var issued = _store.Issue(Alice, AccessLife, RefreshLife);

        // Act
        var renewed = _store.Refresh(issued.AccessToken, AccessLife, RefreshLife);

        // Assert
        Assert.Null(renewed);
        Assert.NotNull(_store.Validate(issued.AccessToken));
    }

    [Fact]
    public void Revoke_AccessToken_InvalidatesItsRefreshTokenToo()
    {
        // Arrange
        var issued = _store.Issue(Alice, AccessLife, RefreshLife);
        var bystander = _store.Issue(Alice, AccessLife, RefreshLife);

        // Act
        var revoked = _store.Revoke(issued.AccessToken);

        // Assert
        Assert.True(revoked);
        Assert.Null(_store.Validate(issued.AccessToken));
        Assert.Null(_store.Refresh(issued.RefreshToken, AccessLife, RefreshLife));
        Assert.NotNull(_store.Validate(bystander.AccessToken));
    }

    [Fact]
    public void Revoke_RefreshToken_InvalidatesItsAccessTokenToo()
    {
        // Arrange
        var issued = _store.Issue(Alice, AccessLife, RefreshLife);

        // Act
        var revoked = _store.Revoke(issued.RefreshToken);

        // Assert
        Assert.True(revoked);
        Assert.Null(_store.Validate(issued.AccessToken));
        Assert.Null(_store.Refresh(issued.RefreshToken, AccessLife, RefreshLife));
    }

    [Fact]
    public void Revoke_ExpiredAccessToken_StillInvalidatesRefreshToken()
    {
        // Arrange
        var issued = _store.Issue(Alice, AccessLife, RefreshLife);
        _time.Advance(AccessLife + TimeSpan.FromMinutes(2));
        _store.Sweep();

        // Act
        _store.Revoke(issued.AccessToken);

        // Assert
        Assert.Null(_store.Refresh(issued.RefreshToken, AccessLife, RefreshLife));
    }

    [Fact]
    public void Revoke_UnknownOrAlreadyRevokedToken_ReturnsFalse()
    {
        // Arrange
        var issued = _store.Issue(Alice, AccessLife, RefreshLife);
        _store.Revoke(issued.AccessToken);

        // Act
        var again = _store.Revoke(issued.AccessToken);
        var unknown = _store.Revoke("made-up-token");

        // Assert
        Assert.False(again);
        Assert.False(unknown);
    }

    [Fact]
    public void Issue_AfterEverythingExpired_ForgetsExpiredPairs()
    {
        // Arrange
        _store.Issue(Alice, AccessLife, RefreshLife);
        _store.Issue(Alice, AccessLife, RefreshLife);
        _time.Advance(RefreshLife);

        // Act
        var fresh = _store.Issue(Alice, AccessLife, RefreshLife);

        // Assert
        Assert.Equal(1, _store.Count);
        Assert.NotNull(_store.Validate(fresh.AccessToken));
    }
}
