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
}
