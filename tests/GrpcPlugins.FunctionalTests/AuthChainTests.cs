using GrpcPlugins.Auth.V1;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;

namespace GrpcPlugins.FunctionalTests;

/// <summary>Two real auth plugins asked in priority order: the first that recognises the credentials decides.</summary>
public sealed class AuthChainTests : IAsyncLifetime
{
    private PluginClient _first = null!;
    private PluginClient _second = null!;

    public async ValueTask InitializeAsync()
    {
        var first = TestPlugins.TestPlugin("auth", PluginType.Auth, "staff");
        first.Config["users"] = "alice:staff-password";
        first.Config["locked_user"] = "mallory";
        first.Config["roles"] = "admin";
        first.Config["token"] = "tok-staff";
        first.RestartOnCrash = false;
        var second = TestPlugins.TestPlugin("auth", PluginType.Auth, "partners");
        second.Config["users"] = "alice:secret,mallory:secret";
        second.Config["token"] = "tok-partners";
        var started = await Task.WhenAll(TestPlugins.StartAsync(first), TestPlugins.StartAsync(second));
        (_first, _second) = (started[0], started[1]);
    }

    public async ValueTask DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }

    [Fact]
    public async Task Authenticate_FirstDoesNotRecogniseCredentials_SecondDecides()
    {
        var chain = new AuthChain(() => [_first, _second]);

        var partner = await chain.AuthenticateAsync(Password("alice", "secret")).WaitAsync(TestPlugins.Timeout);
        var staff = await chain.AuthenticateAsync(Password("alice", "staff-password")).WaitAsync(TestPlugins.Timeout);
        var wrong = await Assert.ThrowsAsync<PluginException>(() => chain.AuthenticateAsync(Password("alice", "nope")).WaitAsync(TestPlugins.Timeout));

        Assert.Equal("tok-partners", partner.Token);
        Assert.Equal(["reader"], partner.User.Roles);
        Assert.Equal("tok-staff", staff.Token);
        Assert.Equal(["admin"], staff.User.Roles);
        Assert.Equal(PluginErrorCode.Unauthenticated, wrong.Code);
    }

    [Fact]
    public async Task Authenticate_FirstDeniesPermission_ChainStopsThere()
    {
        var chain = new AuthChain(() => [_first, _second]);

        var denied = await Assert.ThrowsAsync<PluginException>(() => chain.AuthenticateAsync(Password("mallory", "secret")).WaitAsync(TestPlugins.Timeout));
        var reversed = await new AuthChain(() => [_second, _first]).AuthenticateAsync(Password("mallory", "secret")).WaitAsync(TestPlugins.Timeout);

        Assert.Equal(PluginErrorCode.PermissionDenied, denied.Code);
        Assert.Contains("locked", denied.Message);
        Assert.Equal("tok-partners", reversed.Token);
    }

    [Fact]
    public async Task Authorize_TokenOfTheSecondPlugin_IsDecidedByIt()
    {
        var chain = new AuthChain(() => [_first, _second]);

        var decision = await chain.AuthorizeAsync("tok-partners", "/v1/files", Auth.V1.Action.Read).WaitAsync(TestPlugins.Timeout);
        var unknown = await Assert.ThrowsAsync<PluginException>(() => chain.AuthorizeAsync("forged", "/v1/files", Auth.V1.Action.Read).WaitAsync(TestPlugins.Timeout));

        Assert.True(decision.Allowed);
        Assert.Equal(PluginErrorCode.Unauthenticated, unknown.Code);
    }

    [Fact]
    public async Task Authenticate_FirstIsDown_OthersStillDecideAndItsUsersGetUnavailableNotWrongPassword()
    {
        var chain = new AuthChain(() => [_first, _second]);
        await TestPlugins.KillAsync(_first);

        await SupervisionTests.WaitForStateAsync(_first, PluginState.Crashed);
        var partner = await chain.AuthenticateAsync(Password("alice", "secret")).WaitAsync(TestPlugins.Timeout);
        var staff = await Assert.ThrowsAsync<PluginException>(() => chain.AuthenticateAsync(Password("alice", "staff-password")).WaitAsync(TestPlugins.Timeout));

        Assert.Equal("tok-partners", partner.Token);
        Assert.Equal(PluginErrorCode.Unavailable, staff.Code);
        Assert.Contains("'staff'", staff.Message);
    }

    private static AuthenticateRequest Password(string username, string password) =>
        new() { Type = AuthType.Password, Username = username, Password = password };
}
