using UsersFileAuth.Internal;

namespace UsersFileAuth.Tests;

public sealed class UsersFileTests : IDisposable
{
    private static readonly string Hash = PasswordHasher.Hash("pw");
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Load_AfterSave_ReturnsSameUsers()
    {
        // Arrange
        var path = _folder.File("users.json");
        var alice = new UserRecord { Id = "id-1", Username = "alice", DisplayName = "Alice A.", Roles = ["reader", "writer"], PasswordHash = Hash };
        var bob = new UserRecord { Id = "id-2", Username = "bob", Roles = ["admin"], PasswordHash = Hash };
        new UsersFile([alice, bob]).Save(path);

        // Act
        var loaded = UsersFile.Load(path);

        // Assert
        Assert.NotNull(loaded);
        Assert.Equal(2, loaded.Users.Count);
        Assert.Equal(alice.Id, loaded.Users[0].Id);
        Assert.Equal("alice", loaded.Users[0].Username);
        Assert.Equal("Alice A.", loaded.Users[0].DisplayName);
        Assert.Equal(["reader", "writer"], loaded.Users[0].Roles);
        Assert.Equal(Hash, loaded.Users[0].PasswordHash);
        Assert.Null(loaded.Users[1].DisplayName);
        Assert.Same(loaded.Users[1], loaded.Find("BOB"));
    }

    [Fact]
    public void Save_Always_WritesCamelCaseJsonReadableOnlyByOwnerAndNoTempFiles()
    {
        // Arrange
        var path = _folder.File("users.json");
        var users = new UsersFile([new UserRecord { Id = "id-1", Username = "alice", Roles = ["reader"], PasswordHash = Hash }]);

        // Act
        users.Save(path);
        users.Save(path);

        // Assert
        var json = File.ReadAllText(path);
        Assert.Contains("\"users\"", json);
        Assert.Contains("\"passwordHash\"", json);
        Assert.Contains("\"username\": \"alice\"", json);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.Equal(["users.json"], Directory.GetFiles(_folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Load_MissingFile_ReturnsNull()
    {
        // Act
        var loaded = UsersFile.Load(_folder.File("nope.json"));

        // Assert
        Assert.Null(loaded);
    }

    [Fact]
    public void Load_MalformedJson_ThrowsWithLineAndPosition()
    {
        // Arrange
        var path = _folder.File("users.json");
        File.WriteAllText(path, "{\n  \"users\": [\n    { \"id\": \"1\" \"username\": \"alice\" }\n  ]\n}\n");

        // Act
        var error = Assert.Throws<InvalidDataException>(() => UsersFile.Load(path));

        // Assert
        Assert.Contains(path, error.Message);
        Assert.Contains("line 3, position 17", error.Message);
    }

    [Fact]
    public void Load_WrongTypeForRoles_ThrowsWithLine()
    {
        // Arrange
        var path = _folder.File("users.json");
        File.WriteAllText(path, "{\n  \"users\": [\n    { \"id\": \"1\", \"username\": \"alice\", \"roles\": \"admin\" }\n  ]\n}\n");

        // Act
        var error = Assert.Throws<InvalidDataException>(() => UsersFile.Load(path));

        // Assert
        Assert.Contains("line 3", error.Message);
    }

    [Theory]
    [InlineData("{}", "no \"users\" array")]
    [InlineData("{ \"users\": [ { \"id\": \"1\", \"username\": \"alice\", \"roles\": [], \"passwordHash\": \"plain\" } ] }", "user #1 ('alice')")]
    [InlineData("{ \"users\": [ { \"id\": \"1\", \"roles\": [], \"passwordHash\": \"HASH\" } ] }", "no \"username\"")]
    [InlineData("{ \"users\": [ { \"id\": \"1\", \"username\": \"a\", \"passwordHash\": \"HASH\" }, { \"id\": \"2\", \"username\": \"A\", \"passwordHash\": \"HASH\" } ] }", "same username")]
    public void Load_InvalidUsers_ThrowsSayingWhich(string json, string expected)
    {
        // Arrange
        var path = _folder.File("users.json");
        File.WriteAllText(path, json.Replace("HASH", Hash, StringComparison.Ordinal));

        // Act
        var error = Assert.Throws<InvalidDataException>(() => UsersFile.Load(path));

        // Assert
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Load_FileWithoutRoles_GivesEmptyRoles()
    {
        // Arrange
        var path = _folder.File("users.json");
        File.WriteAllText(path, $"{{ \"users\": [ {{ \"id\": \"1\", \"username\": \"alice\", \"roles\": null, \"passwordHash\": \"{Hash}\" }} ] }}");

        // Act
        var loaded = UsersFile.Load(path);

        // Assert
        Assert.Empty(loaded!.Users[0].Roles);
    }

    [Fact]
    public void Upsert_ExistingUserWithoutPassword_KeepsHashAndReplacesRoles()
    {
        // Arrange
        var users = new UsersFile([new UserRecord { Id = "id-1", Username = "alice", Roles = ["reader"], PasswordHash = Hash }]);

        // Act
        var (user, created) = users.Upsert("ALICE", ["writer"], passwordHash: null, displayName: null);

        // Assert
        Assert.False(created);
        Assert.Equal("id-1", user.Id);
        Assert.Equal(Hash, user.PasswordHash);
        Assert.Equal(["writer"], user.Roles);
        Assert.Single(users.Users);
    }
}
