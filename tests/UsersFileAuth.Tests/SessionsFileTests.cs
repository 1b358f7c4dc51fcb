using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using UsersFileAuth.Internal;

namespace UsersFileAuth.Tests;

/// <summary>Sign-ins kept in sessions_file survive a restart: a new TokenStore on the same file stands for the old process's.</summary>
public sealed class SessionsFileTests : IDisposable
{
    private static readonly TimeSpan AccessLife = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan RefreshLife = TimeSpan.FromHours(1);
    private static readonly AuthenticatedUser Alice = new("id-1", "alice", "Alice", ["reader", "writer"]);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero));
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Restart_TokensIssuedBefore_StillValidateAndRefreshButTheFileHoldsNoToken()
    {
        // Arrange
        var issued = Store().Issue(Alice, AccessLife, RefreshLife);

        // Act: a new process reads the same file.
        var restarted = Store();
        var validated = restarted.Validate(issued.AccessToken);
        var refreshed = restarted.Refresh(issued.RefreshToken, AccessLife, RefreshLife);

        // Assert
        Assert.NotNull(validated);
        Assert.Equal(Alice.Id, validated.User.Id);
        Assert.Equal(["reader", "writer"], validated.User.Roles);
        Assert.Equal(issued.AccessExpiresAt, validated.AccessExpiresAt);
        Assert.NotNull(refreshed);
        Assert.Null(restarted.Validate(issued.AccessToken));
        var text = File.ReadAllText(SessionsPath);
        Assert.DoesNotContain(issued.AccessToken, text, StringComparison.Ordinal);
        Assert.DoesNotContain(issued.RefreshToken, text, StringComparison.Ordinal);
        Assert.DoesNotContain(refreshed.AccessToken, text, StringComparison.Ordinal);
    }

    [Fact]
    public void Restart_AfterRevoke_RevokedTokenStaysRevoked()
    {
        var first = Store();
        var issued = first.Issue(Alice, AccessLife, RefreshLife);
        first.Revoke(issued.RefreshToken);

        var restarted = Store();

        Assert.Null(restarted.Validate(issued.AccessToken));
        Assert.Null(restarted.Refresh(issued.RefreshToken, AccessLife, RefreshLife));
    }

    [Fact]
    public void Restart_AfterBothHalvesExpired_LoadsNothing()
    {
        var issued = Store().Issue(Alice, AccessLife, RefreshLife);
        _time.Advance(RefreshLife + TimeSpan.FromSeconds(1));

        var restarted = Store();

        Assert.Equal(0, restarted.Count);
        Assert.Null(restarted.Validate(issued.AccessToken));
    }

    [Fact]
    public void UseSessionsFile_Unreadable_StartsEmptyKeepsTheFileAsideAndSavesAgain()
    {
        // Arrange
        File.WriteAllText(SessionsPath, "{ this is not json");

        // Act
        var store = Store();
        var issued = store.Issue(Alice, AccessLife, RefreshLife);

        // Assert
        Assert.Equal(1, store.Count);
        var aside = Assert.Single(Directory.GetFiles(_folder.Path, "sessions.json.unreadable-*"));
        Assert.Equal("{ this is not json", File.ReadAllText(aside));
        Assert.NotNull(Store().Validate(issued.AccessToken));
    }

    [Fact]
    public void Save_FolderCannotBeWritten_SignInStillWorksInMemory()
    {
        // A file where the sessions folder should be: nothing can be written under it.
        var blocker = _folder.File("not-a-folder");
        File.WriteAllText(blocker, "x");
        var store = new TokenStore(_time);
        store.UseSessionsFile(new SessionsFile(Path.Combine(blocker, "sessions.json"), NullLogger.Instance, _time));

        var issued = store.Issue(Alice, AccessLife, RefreshLife);

        Assert.NotNull(store.Validate(issued.AccessToken));
    }

    private string SessionsPath => _folder.File("sessions.json");

    private TokenStore Store()
    {
        var store = new TokenStore(_time);
        store.UseSessionsFile(new SessionsFile(SessionsPath, NullLogger.Instance, _time));
        return store;
    }
}
