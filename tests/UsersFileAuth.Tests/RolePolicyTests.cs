using UsersFileAuth.Internal;
using AuthAction = GrpcPlugins.Auth.V1.Action;

namespace UsersFileAuth.Tests;

public sealed class RolePolicyTests
{
    [Theory]
    [InlineData("reader", AuthAction.Read, true)]
    [InlineData("reader", AuthAction.Write, false)]
    [InlineData("reader", AuthAction.Delete, false)]
    [InlineData("reader", AuthAction.Admin, false)]
    [InlineData("writer", AuthAction.Read, true)]
    [InlineData("writer", AuthAction.Write, true)]
    [InlineData("writer", AuthAction.Delete, true)]
    [InlineData("writer", AuthAction.Admin, false)]
    [InlineData("admin", AuthAction.Read, true)]
    [InlineData("admin", AuthAction.Write, true)]
    [InlineData("admin", AuthAction.Delete, true)]
    [InlineData("admin", AuthAction.Admin, true)]
    [InlineData("Admin", AuthAction.Admin, true)]
    [InlineData("auditor", AuthAction.Read, false)]
    public void Decide_RoleAndAction_FollowsTable(string role, AuthAction action, bool expected)
    {
        // Arrange
        var user = new AuthenticatedUser("id", "alice", "Alice", [role]);

        // Act
        var (allowed, reason) = RolePolicy.Decide(user, "files/abc", action);

        // Assert
        Assert.Equal(expected, allowed);
        Assert.Equal(expected, reason.Length == 0);
    }

    [Fact]
    public void Decide_SeveralRoles_AllowsWhatAnyRoleAllows()
    {
        // Arrange
        var user = new AuthenticatedUser("id", "alice", "Alice", ["auditor", "writer"]);

        // Act
        var (allowed, _) = RolePolicy.Decide(user, "files/abc", AuthAction.Delete);

        // Assert
        Assert.True(allowed);
    }

    [Fact]
    public void Decide_Refused_ReasonNamesUserActionResourceAndNeededRoles()
    {
        // Arrange
        var user = new AuthenticatedUser("id", "alice", "Alice", ["reader"]);

        // Act
        var (allowed, reason) = RolePolicy.Decide(user, "files/abc", AuthAction.Write);

        // Assert
        Assert.False(allowed);
        Assert.Equal("User 'alice' has roles reader; write on 'files/abc' needs role writer or admin.", reason);
    }

    [Fact]
    public void Decide_NoRoles_Refused()
    {
        // Arrange
        var user = new AuthenticatedUser("id", "alice", "Alice", []);

        // Act
        var (allowed, reason) = RolePolicy.Decide(user, "plugins", AuthAction.Read);

        // Assert
        Assert.False(allowed);
        Assert.Contains("has no roles", reason);
    }

    [Fact]
    public void Decide_UnspecifiedAction_Throws()
    {
        // Arrange
        var user = new AuthenticatedUser("id", "alice", "Alice", ["admin"]);

        // Act / Assert
        Assert.Throws<ArgumentOutOfRangeException>(() => RolePolicy.Decide(user, "plugins", AuthAction.Unspecified));
    }
    [Theory]
    [InlineData("reader", "u1", AuthAction.Read, true)]
    [InlineData("writer", "u1", AuthAction.Delete, true)]
    [InlineData("reader", "u1", AuthAction.Delete, false)]
    [InlineData("reader", "u2", AuthAction.Read, false)]
    [InlineData("writer", "u2", AuthAction.Delete, false)]
    [InlineData("writer", "", AuthAction.Read, false)]
    [InlineData("admin", "u2", AuthAction.Read, true)]
    [InlineData("admin", "u2", AuthAction.Delete, true)]
    [InlineData("Admin", "", AuthAction.Read, true)]
    [InlineData("admin", "", AuthAction.Delete, true)]
    public void Decide_FileResource_OwnerOrAdminOnly(string role, string owner, AuthAction action, bool expected)
    {
        // Arrange: the user is u1; the file belongs to owner (empty: no owner).
        var user = new AuthenticatedUser("u1", "alice", "Alice", [role]);

        // Act
        var (allowed, reason) = RolePolicy.Decide(user, $"file:{owner}/f1", action);

        // Assert
        Assert.Equal(expected, allowed);
        Assert.Equal(expected, reason.Length == 0);
    }

    [Fact]
    public void Decide_AnotherUsersFile_ReasonSaysWhoseItIs()
    {
        // Arrange
        var user = new AuthenticatedUser("u1", "alice", "Alice", ["writer"]);

        // Act
        var (_, other) = RolePolicy.Decide(user, "file:u2/f1", AuthAction.Read);
        var (_, unowned) = RolePolicy.Decide(user, "file:/f2", AuthAction.Read);

        // Assert
        Assert.Contains("belongs to another user", other, StringComparison.Ordinal);
        Assert.Contains("'f1'", other, StringComparison.Ordinal);
        Assert.Contains("no owner", unowned, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_EncodedOwner_ComparedDecoded()
    {
        // Arrange: an OIDC subject may hold '/', so the host percent-encodes the owner.
        var user = new AuthenticatedUser("https://idp/sub/7", "alice", "Alice", ["reader"]);
        var resource = $"file:{Uri.EscapeDataString(user.Id)}/{Uri.EscapeDataString("a/b")}";

        // Act
        var (allowed, _) = RolePolicy.Decide(user, resource, AuthAction.Read);
        var parsed = FileResource.TryParse(resource);

        // Assert
        Assert.True(allowed);
        Assert.Equal(new FileResource(user.Id, "a/b"), parsed);
    }

    [Fact]
    public void Decide_FileResource_RoleStillDecidesFirst()
    {
        // Arrange: the owner of a file who is only a reader still may not delete it.
        var user = new AuthenticatedUser("u1", "alice", "Alice", ["reader"]);

        // Act
        var (allowed, reason) = RolePolicy.Decide(user, "file:u1/f1", AuthAction.Delete);

        // Assert
        Assert.False(allowed);
        Assert.Contains("needs role writer or admin", reason, StringComparison.Ordinal);
    }
}
