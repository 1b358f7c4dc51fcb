using Grpc.Core;
using GrpcPlugins;
using GrpcPlugins.Testing;
using UsersFileAuth.Internal;

namespace UsersFileAuth.Tests;

/// <summary>
/// The plugin's settings (<see cref="UsersFileAuthSettings"/>) bound and validated by the SDK at Init, sent through real
/// gRPC as a host sends them (<see cref="PluginTestServer"/>, configured as Program.cs configures the plugin).
/// </summary>
public sealed class SettingsTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("token_ttl_seconds", "soon", "The 'token_ttl_seconds' setting is 'soon', which is not a whole number.")]
    [InlineData("refresh_ttl_seconds", "0", "The 'refresh_ttl_seconds' setting is '0', which is not valid: The field refresh_ttl_seconds must be a whole number of seconds between 1 and 315360000.")]
    [InlineData("token_ttl_seconds", "-60", "The 'token_ttl_seconds' setting is '-60', which is not valid")]
    [InlineData("oidc_issuer", "https://id.example.test", "OIDC is partly configured: also set 'oidc_audience' and 'oidc_jwks_file'")]
    [InlineData("admin_username", "root", "The 'admin_username' setting is set without 'admin_password'")]
    public async Task Init_BadSetting_InvalidArgumentNamingKeyAndValue(string key, string value, string expected)
    {
        var error = await InitErrorAsync(new Dictionary<string, string> { ["users_file"] = _folder.File("users.json"), [key] = value });

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_NoUsersFileNorConnectionString_InvalidArgumentSayingWhatToSet()
    {
        var error = await InitErrorAsync(new Dictionary<string, string> { ["users_file"] = "  " });

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains("The 'users_file' setting is missing: set it to the path of the JSON users file", error.Message, StringComparison.Ordinal);
        Assert.Contains("or set 'connection_string'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_AdminPasswordWithSpaces_TakenExactlyAndNeverEchoedOnRefusal()
    {
        var usersFile = _folder.File("users.json");
        await using var plugin = await StartAsync();

        var error = PluginErrors.FromRpcException(await Assert.ThrowsAsync<RpcException>(() => plugin.InitAsync(
            new Dictionary<string, string> { ["users_file"] = usersFile, ["admin_password"] = " secret pw ", ["token_ttl_seconds"] = "0" }).WaitAsync(Timeout)));
        await plugin.InitAsync(new Dictionary<string, string> { ["users_file"] = usersFile, ["admin_password"] = " secret pw " }).WaitAsync(Timeout);

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.DoesNotContain("secret pw", error.Message, StringComparison.Ordinal);
        Assert.True(PasswordHasher.Verify(" secret pw ", Assert.Single(UsersFile.Load(usersFile)!.Users).PasswordHash));
    }

    private Task<PluginTestServer> StartAsync() =>
        PluginTestServer.StartAsync(UsersFileAuthPlugin.Configure, new PluginTestServerOptions { Initialize = false }).WaitAsync(Timeout);

    private async Task<PluginException> InitErrorAsync(Dictionary<string, string> config)
    {
        await using var plugin = await StartAsync();
        var rpc = await Assert.ThrowsAsync<RpcException>(() => plugin.InitAsync(config).WaitAsync(Timeout));
        return PluginErrors.FromRpcException(rpc);
    }
}
