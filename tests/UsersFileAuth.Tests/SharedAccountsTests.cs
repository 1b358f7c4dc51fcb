using System.Net;
using System.Net.Sockets;
using GrpcPlugins;
using GrpcPlugins.Auth.V1;
using GrpcPlugins.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using AuthAction = GrpcPlugins.Auth.V1.Action;

namespace UsersFileAuth.Tests;

/// <summary>
/// Users and sessions in PostgreSQL (<c>connection_string</c>): several plugin instances, as on several hosts, on one
/// private database server, each test on its own database.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SharedAccountsTests(PostgresServer postgres)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private static readonly TestServerCallContext Call = TestServerCallContext.Instance;

    [Fact]
    public async Task InitAsync_SeveralHostsAtOnceWithTheirOwnPasswords_CreateExactlyOneAdmin()
    {
        // Arrange
        var database = await postgres.CreateDatabaseAsync().WaitAsync(Timeout);
        var plugins = Enumerable.Range(0, 4).Select(i => NewPlugin(Config(database, $"password-{i}"))).ToArray();

        // Act: every host offers its own first admin password at the same time.
        await Task.WhenAll(plugins.Select((p, i) => p.InitAsync(Config(database, $"password-{i}"), CancellationToken.None))).WaitAsync(Timeout);

        // Assert: exactly one password signs in, through any of them.
        var accepted = new List<int>();
        for (var i = 0; i < plugins.Length; i++)
        {
            try
            {
                await plugins[(i + 1) % plugins.Length].Authenticate(Password("admin", $"password-{i}"), Call).WaitAsync(Timeout);
                accepted.Add(i);
            }
            catch (PluginException ex) when (ex.Code == PluginErrorCode.Unauthenticated)
            {
            }
        }

        Assert.Single(accepted);
    }

    [Fact]
    public async Task Token_IssuedThroughOneHost_IsAcceptedRefreshedAndRevokedThroughAnother()
    {
        // Arrange
        var database = await postgres.CreateDatabaseAsync().WaitAsync(Timeout);
        var a = NewPlugin(Config(database, "secret"));
        var b = NewPlugin(Config(database, "secret"));
        await a.InitAsync(Config(database, "secret"), CancellationToken.None).WaitAsync(Timeout);
        await b.InitAsync(Config(database, "secret"), CancellationToken.None).WaitAsync(Timeout);

        // Act
        var issued = (await a.Authenticate(Password("admin", "secret"), Call).WaitAsync(Timeout)).Result;
        var onB = await b.Authorize(new AuthorizeRequest { Token = issued.Token, Resource = "files", Action = AuthAction.Admin }, Call).WaitAsync(Timeout);
        var refreshed = (await b.Refresh(new RefreshRequest { RefreshToken = issued.RefreshToken }, Call).WaitAsync(Timeout)).Result;

        // Assert: B knew A's token; after B's refresh, A refuses the old pair and accepts the new one.
        Assert.True(onB.Allowed);
        Assert.Equal("admin", onB.User.Username);
        await AssertUnauthenticatedAsync(() => a.Authorize(new AuthorizeRequest { Token = issued.Token, Resource = "files", Action = AuthAction.Read }, Call));
        await AssertUnauthenticatedAsync(() => a.Refresh(new RefreshRequest { RefreshToken = issued.RefreshToken }, Call));
        Assert.True((await a.Authorize(new AuthorizeRequest { Token = refreshed.Token, Resource = "files", Action = AuthAction.Read }, Call).WaitAsync(Timeout)).Allowed);

        // Revoked through A, the new token ends on B too.
        await a.Revoke(new RevokeRequest { Token = refreshed.RefreshToken }, Call).WaitAsync(Timeout);
        await AssertUnauthenticatedAsync(() => b.Authenticate(new AuthenticateRequest { Type = AuthType.Token, Token = refreshed.Token }, Call));
    }

    [Fact]
    public async Task Refresh_RacedThroughTwoHosts_OnlyOneWins()
    {
        // Arrange
        var database = await postgres.CreateDatabaseAsync().WaitAsync(Timeout);
        var a = NewPlugin(Config(database, "secret"));
        var b = NewPlugin(Config(database, "secret"));
        await a.InitAsync(Config(database, "secret"), CancellationToken.None).WaitAsync(Timeout);
        await b.InitAsync(Config(database, "secret"), CancellationToken.None).WaitAsync(Timeout);
        var issued = (await a.Authenticate(Password("admin", "secret"), Call).WaitAsync(Timeout)).Result;

        // Act
        var attempts = await Task.WhenAll(new[] { a, b, a, b }.Select(async p =>
        {
            try
            {
                await p.Refresh(new RefreshRequest { RefreshToken = issued.RefreshToken }, Call);
                return true;
            }
            catch (PluginException ex) when (ex.Code == PluginErrorCode.Unauthenticated)
            {
                return false;
            }
        })).WaitAsync(Timeout);

        // Assert
        Assert.Equal(1, attempts.Count(won => won));
    }

    [Fact]
    public async Task InitAsync_DatabaseUnreachable_Unavailable()
    {
        // Arrange: a loopback port nobody listens on.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        // Act
        var config = new Dictionary<string, string> { ["connection_string"] = $"Host=127.0.0.1;Port={port};Username=postgres;Database=none;Timeout=5" };
        var error = await Assert.ThrowsAsync<PluginException>(() => NewPlugin(config).InitAsync(config, CancellationToken.None).WaitAsync(Timeout));

        // Assert
        Assert.Equal(PluginErrorCode.Unavailable, error.Code);
        Assert.Contains("PostgreSQL could not be reached", error.Message, StringComparison.Ordinal);
    }

    // A plugin whose Init will bring this map, bound as the SDK binds it before the service's Init.
    private static UsersFileAuthService NewPlugin(Dictionary<string, string> config) =>
        new(BoundSettings<UsersFileAuthSettings>.Of(config), NullLogger<UsersFileAuthService>.Instance, TimeProvider.System);

    private static Dictionary<string, string> Config(string connectionString, string adminPassword) => new()
    {
        ["connection_string"] = connectionString,
        ["admin_password"] = adminPassword,
    };

    private static AuthenticateRequest Password(string username, string password) =>
        new() { Type = AuthType.Password, Username = username, Password = password };

    private static async Task AssertUnauthenticatedAsync<T>(Func<Task<T>> call)
    {
        var error = await Assert.ThrowsAsync<PluginException>(() => call().WaitAsync(Timeout));
        Assert.Equal(PluginErrorCode.Unauthenticated, error.Code);
    }
}
