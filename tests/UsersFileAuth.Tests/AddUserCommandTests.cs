using UsersFileAuth.Internal;

namespace UsersFileAuth.Tests;

public sealed class AddUserCommandTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly TempFolder _folder = new();
    private readonly string _path;

    public AddUserCommandTests()
    {
        _path = _folder.File("users.json");
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task RunAsync_NewUserWithPasswordFromStdin_CreatesFileWithHashedPassword()
    {
        // Act
        var run = await RunAsync("s3cret-pw\n", "add-user", "--file", _path, "--username", "alice", "--role", "reader", "--role", "writer", "--password-stdin");

        // Assert
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(string.Empty, run.Error);
        var line = Assert.Single(Lines(run.Output));
        Assert.StartsWith("Created user 'alice'", line);
        var user = Assert.Single(UsersFile.Load(_path)!.Users);
        Assert.Equal("alice", user.Username);
        Assert.Equal(["reader", "writer"], user.Roles);
        Assert.DoesNotContain("s3cret-pw", File.ReadAllText(_path));
        Assert.True(PasswordHasher.Verify("s3cret-pw", user.PasswordHash));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_path));
        }
    }

    [Fact]
    public async Task RunAsync_ExistingUserWithRolesOnly_UpdatesRolesAndKeepsPassword()
    {
        // Arrange
        await RunAsync(string.Empty, "add-user", "--file", _path, "--username", "alice", "--role", "reader", "--password", "first-pw");
        var before = UsersFile.Load(_path)!.Users[0];

        // Act
        var run = await RunAsync(string.Empty, "add-user", "--file", _path, "--username", "alice", "--role", "Admin");

        // Assert
        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("Updated user 'alice'", Assert.Single(Lines(run.Output)));
        var after = Assert.Single(UsersFile.Load(_path)!.Users);
        Assert.Equal(before.Id, after.Id);
        Assert.Equal(["admin"], after.Roles);
        Assert.True(PasswordHasher.Verify("first-pw", after.PasswordHash));
    }

    [Fact]
    public async Task RunAsync_SecondUser_KeepsFirstUser()
    {
        // Arrange
        await RunAsync(string.Empty, "add-user", "--file", _path, "--username", "alice", "--role", "reader", "--password", "pw-a");

        // Act
        var run = await RunAsync("pw-b\n", "add-user", "--file", _path, "--username", "bob", "--role", "writer", "--password-stdin");

        // Assert
        Assert.Equal(0, run.ExitCode);
        var users = UsersFile.Load(_path)!;
        Assert.Equal(["alice", "bob"], users.Users.Select(u => u.Username));
        Assert.True(PasswordHasher.Verify("pw-b", users.Find("bob")!.PasswordHash));
    }

    [Theory]
    [InlineData("add-user --username alice --role reader --password pw", "--file")]
    [InlineData("add-user --file FILE --username alice --role reader", "needs a password")]
    [InlineData("add-user --file FILE --username alice --password pw", "needs at least one --role")]
    [InlineData("add-user --file FILE --username alice --role superuser --password pw", "unknown role 'superuser'")]
    [InlineData("add-user --file FILE --username alice --role reader --password pw --password-stdin", "not both")]
    [InlineData("add-user --file FILE --username alice --role reader --password-stdin", "read no password")]
    public async Task RunAsync_BadUsage_PrintsOneErrorLineAndWritesNothing(string commandLine, string expected)
    {
        // Arrange
        var args = commandLine.Replace("FILE", _path, StringComparison.Ordinal).Split(' ');

        // Act
        var run = await RunAsync(string.Empty, args);

        // Assert
        Assert.NotEqual(0, run.ExitCode);
        Assert.Equal(string.Empty, run.Output);
        var line = Assert.Single(Lines(run.Error));
        Assert.Contains(expected, line);
        Assert.False(File.Exists(_path));
    }

    [Fact]
    public async Task RunAsync_MalformedUsersFile_FailsAndLeavesFileUnchanged()
    {
        // Arrange
        const string broken = "{ \"users\": [ ";
        await File.WriteAllTextAsync(_path, broken).WaitAsync(Timeout);

        // Act
        var run = await RunAsync(string.Empty, "add-user", "--file", _path, "--username", "alice", "--role", "reader", "--password", "pw");

        // Assert
        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(Lines(run.Error));
        Assert.Contains("is not valid at line 1", line);
        Assert.Equal(broken, await File.ReadAllTextAsync(_path).WaitAsync(Timeout));
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(string stdin, params string[] args)
    {
        using var input = new StringReader(stdin);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await AddUserCommand.RunAsync(args, input, output, error).WaitAsync(Timeout);
        return (exitCode, output.ToString(), error.ToString());
    }
}
