using GrpcPlugins;
using GrpcPlugins.Auth.V1;
using GrpcPlugins.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using UsersFileAuth.Internal;
using AuthAction = GrpcPlugins.Auth.V1.Action;

namespace UsersFileAuth.Tests;

public sealed class UsersFileAuthServiceTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly TestServerCallContext Call = TestServerCallContext.Instance;

    private readonly TempFolder _folder = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly BoundSettings<UsersFileAuthSettings> _settings = new();
    private readonly UsersFileAuthService _service;
    private readonly string _usersPath;

    public UsersFileAuthServiceTests()
    {
        _service = new UsersFileAuthService(_settings, NullLogger<UsersFileAuthService>.Instance, _time);
        _usersPath = _folder.File("users.json");
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task InitAsync_MalformedUsersFile_InvalidArgumentWithLine()
    {
        // Arrange
        await File.WriteAllTextAsync(_usersPath, "{\n  \"users\": [ oops ]\n}").WaitAsync(Timeout);

        // Act
        var error = await Assert.ThrowsAsync<PluginException>(() => InitAsync(new() { ["users_file"] = _usersPath }));

        // Assert
        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains("line 2", error.Message);
    }

    [Fact]
    public async Task InitAsync_MissingFile_StartsWithNoUsers()
    {
        // Arrange
        await InitAsync(new() { ["users_file"] = _usersPath });

        // Act
        var error = await Assert.ThrowsAsync<PluginException>(() => SignInAsync("alice", "pw"));

        // Assert
        Assert.Equal(PluginErrorCode.Unauthenticated, error.Code);
        Assert.False(File.Exists(_usersPath));
    }

    [Fact]
    public async Task InitAsync_AdminPassword_CreatesAdminWhoMayAdminister()
    {
        // Arrange
        await InitAsync(new() { ["users_file"] = _usersPath, ["admin_password"] = "first-admin-pw" });

        // Act
        var result = await SignInAsync("admin", "first-admin-pw");
        var decision = await _service.Authorize(new AuthorizeRequest { Token = result.Token, Resource = "plugins", Action = AuthAction.Admin }, Call).WaitAsync(Timeout);

        // Assert
        Assert.True(decision.Allowed);
        Assert.Equal(["admin"], decision.User.Roles);
        Assert.Equal("admin", Assert.Single(UsersFile.Load(_usersPath)!.Users).Username);
    }

    [Fact]
    public async Task InitAsync_AdminPasswordForExistingAdmin_KeepsItsPassword()
    {
        // Arrange
        new UsersFile([User("admin", "original-pw", "admin")]).Save(_usersPath);

        // Act
        await InitAsync(new() { ["users_file"] = _usersPath, ["admin_password"] = "other-pw" });

        // Assert
        var result = await SignInAsync("admin", "original-pw");
        Assert.Equal("admin", result.User.Username);
        await Assert.ThrowsAsync<PluginException>(() => SignInAsync("admin", "other-pw"));
    }

    [Fact]
    public async Task Authenticate_Password_IssuesTokensForUser()
    {
        // Arrange
        await InitWithAliceAsync(new() { ["token_ttl_seconds"] = "120" });

        // Act
        var result = await SignInAsync("alice", "alice-pw");

        // Assert
        Assert.NotEmpty(result.Token);
        Assert.NotEmpty(result.RefreshToken);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(120), result.ExpiresAt.ToDateTimeOffset());
        Assert.Equal("alice", result.User.Username);
        Assert.Equal("Alice", result.User.DisplayName);
        Assert.Equal(["reader"], result.User.Roles);
    }

    [Fact]
    public async Task Authenticate_WrongPasswordOrUnknownUser_SameUnauthenticatedError()
    {
        // Arrange
        await InitWithAliceAsync();

        // Act
        var wrongPassword = await Assert.ThrowsAsync<PluginException>(() => SignInAsync("alice", "guess"));
        var unknownUser = await Assert.ThrowsAsync<PluginException>(() => SignInAsync("mallory", "guess"));

        // Assert
        Assert.Equal(PluginErrorCode.Unauthenticated, wrongPassword.Code);
        Assert.Equal(wrongPassword.Code, unknownUser.Code);
        Assert.Equal(wrongPassword.Message, unknownUser.Message);
    }

    [Fact]
    public async Task Authenticate_Token_ReturnsSameTokenAndUser()
    {
        // Arrange
        await InitWithAliceAsync();
        var signedIn = await SignInAsync("alice", "alice-pw");

        // Act
        var response = await _service.Authenticate(new AuthenticateRequest { Type = AuthType.Token, Token = signedIn.Token }, Call).WaitAsync(Timeout);

        // Assert
        Assert.Equal(signedIn, response.Result);
    }

    [Fact]
    public async Task Authenticate_ExpiredToken_Unauthenticated()
    {
        // Arrange
        await InitWithAliceAsync(new() { ["token_ttl_seconds"] = "60" });
        var signedIn = await SignInAsync("alice", "alice-pw");
        _time.Advance(TimeSpan.FromSeconds(61));

        // Act
        var error = await Assert.ThrowsAsync<PluginException>(() =>
            _service.Authenticate(new AuthenticateRequest { Type = AuthType.Token, Token = signedIn.Token }, Call).WaitAsync(Timeout));

        // Assert
        Assert.Equal(PluginErrorCode.Unauthenticated, error.Code);
    }

    [Fact]
    public async Task Authenticate_UnspecifiedType_InvalidArgument()
    {
        // Arrange
        await InitWithAliceAsync();

        // Act
        var error = await Assert.ThrowsAsync<PluginException>(() =>
            _service.Authenticate(new AuthenticateRequest { Username = "alice", Password = "alice-pw" }, Call).WaitAsync(Timeout));

        // Assert
        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
    }

    [Fact]
    public async Task Authenticate_OidcNotConfigured_NotSupported()
    {
        // Arrange
        await InitWithAliceAsync();

        // Act
        var error = await Assert.ThrowsAsync<PluginException>(() =>
            _service.Authenticate(new AuthenticateRequest { Type = AuthType.Oidc, Oidc = new OidcCredentials { IdToken = "x.y.z" } }, Call).WaitAsync(Timeout));

        // Assert
        Assert.Equal(PluginErrorCode.NotSupported, error.Code);
        Assert.Contains("oidc_issuer", error.Message);
    }

    [Fact]
    public async Task Authenticate_OidcConfigured_IssuesOwnTokenWithRolesFromClaim()
    {
        // Arrange
        using var provider = new OidcTestKeys();
        var jwks = _folder.File("jwks.json");
        provider.WriteJwks(jwks);
        await InitWithAliceAsync(new()
        {
            ["oidc_issuer"] = OidcTestKeys.Issuer,
            ["oidc_audience"] = OidcTestKeys.Audience,
            ["oidc_jwks_file"] = jwks,
        });
        var idToken = provider.SignIdToken(_time.GetUtcNow());

        // Act
        var response = await _service.Authenticate(new AuthenticateRequest { Type = AuthType.Oidc, Oidc = new OidcCredentials { IdToken = idToken } }, Call).WaitAsync(Timeout);
        var decision = await _service.Authorize(new AuthorizeRequest { Token = response.Result.Token, Resource = "files/a", Action = AuthAction.Write }, Call).WaitAsync(Timeout);

        // Assert
        Assert.Equal("jane", response.Result.User.Username);
        Assert.NotEqual(idToken, response.Result.Token);
        Assert.True(decision.Allowed);
    }

    [Fact]
    public async Task Authorize_ReaderWrites_NotAllowedWithReason()
    {
        // Arrange
        await InitWithAliceAsync();
        var signedIn = await SignInAsync("alice", "alice-pw");

        // Act
        var decision = await _service.Authorize(new AuthorizeRequest { Token = signedIn.Token, Resource = "files/abc", Action = AuthAction.Write }, Call).WaitAsync(Timeout);

        // Assert
        Assert.False(decision.Allowed);
        Assert.Equal("alice", decision.User.Username);
        Assert.Contains("needs role writer or admin", decision.Reason);
    }

    [Fact]
    public async Task Authorize_UnspecifiedAction_InvalidArgument()
    {
        // Arrange
        await InitWithAliceAsync();
        var signedIn = await SignInAsync("alice", "alice-pw");

        // Act
        var error = await Assert.ThrowsAsync<PluginException>(() =>
            _service.Authorize(new AuthorizeRequest { Token = signedIn.Token, Resource = "files/abc" }, Call).WaitAsync(Timeout));

        // Assert
        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
    }

    [Fact]
    public async Task Authorize_UnknownToken_Unauthenticated()
    {
        // Arrange
        await InitWithAliceAsync();

        // Act
        var error = await Assert.ThrowsAsync<PluginException>(() =>
            _service.Authorize(new AuthorizeRequest { Token = "made-up", Resource = "files/abc", Action = AuthAction.Read }, Call).WaitAsync(Timeout));

        // Assert
        Assert.Equal(PluginErrorCode.Unauthenticated, error.Code);
    }

    [Fact]
    public async Task Refresh_Twice_RotatesAndRefusesReuse()
    {
        // Arrange
        await InitWithAliceAsync();
        var signedIn = await SignInAsync("alice", "alice-pw");

        // Act
        var renewed = await _service.Refresh(new RefreshRequest { RefreshToken = signedIn.RefreshToken }, Call).WaitAsync(Timeout);
        var reuse = await Assert.ThrowsAsync<PluginException>(() =>
            _service.Refresh(new RefreshRequest { RefreshToken = signedIn.RefreshToken }, Call).WaitAsync(Timeout));
        var oldToken = await Assert.ThrowsAsync<PluginException>(() =>
            _service.Authorize(new AuthorizeRequest { Token = signedIn.Token, Resource = "r", Action = AuthAction.Read }, Call).WaitAsync(Timeout));

        // Assert
        Assert.Equal("alice", renewed.Result.User.Username);
        Assert.NotEqual(signedIn.RefreshToken, renewed.Result.RefreshToken);
        Assert.Equal(PluginErrorCode.Unauthenticated, reuse.Code);
        Assert.Equal(PluginErrorCode.Unauthenticated, oldToken.Code);
    }

    [Fact]
    public async Task Revoke_TokenThenAgain_InvalidatesAndIsIdempotent()
    {
        // Arrange
        await InitWithAliceAsync();
        var signedIn = await SignInAsync("alice", "alice-pw");

        // Act
        await _service.Revoke(new RevokeRequest { Token = signedIn.Token }, Call).WaitAsync(Timeout);
        await _service.Revoke(new RevokeRequest { Token = signedIn.Token }, Call).WaitAsync(Timeout);
        var refresh = await Assert.ThrowsAsync<PluginException>(() =>
            _service.Refresh(new RefreshRequest { RefreshToken = signedIn.RefreshToken }, Call).WaitAsync(Timeout));

        // Assert
        Assert.Equal(PluginErrorCode.Unauthenticated, refresh.Code);
    }

    [Fact]
    public async Task Authenticate_UserAddedToFileAfterInit_CanSignIn()
    {
        // Arrange
        await InitWithAliceAsync();
        using var stdout = new StringWriter();
        var exitCode = await AddUserCommand.RunAsync(
            ["add-user", "--file", _usersPath, "--username", "bob", "--role", "writer", "--password", "bob-pw"],
            new StringReader(string.Empty), stdout, TextWriter.Null).WaitAsync(Timeout);

        // Act
        var result = await SignInAsync("bob", "bob-pw");

        // Assert
        Assert.Equal(0, exitCode);
        Assert.Equal(["writer"], result.User.Roles);
    }

    private async Task InitWithAliceAsync(Dictionary<string, string>? extra = null)
    {
        new UsersFile([User("alice", "alice-pw", "reader") with { DisplayName = "Alice" }]).Save(_usersPath);
        var config = new Dictionary<string, string>(extra ?? []) { ["users_file"] = _usersPath };
        await InitAsync(config);
    }

    // The SDK binds (and validates: SettingsTests) the map before the service's Init; here it is bound alike.
    private Task InitAsync(Dictionary<string, string> config)
    {
        _settings.Bind(config);
        return _service.InitAsync(config, CancellationToken.None).WaitAsync(Timeout);
    }

    private async Task<AuthResult> SignInAsync(string username, string password)
    {
        var response = await _service.Authenticate(
            new AuthenticateRequest { Type = AuthType.Password, Username = username, Password = password }, Call).WaitAsync(Timeout);
        return response.Result;
    }

    private static UserRecord User(string username, string password, params string[] roles) => new()
    {
        Id = Guid.NewGuid().ToString(),
        Username = username,
        Roles = [.. roles],
        PasswordHash = PasswordHasher.Hash(password),
    };
}
