using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.Management.Tests;

/// <summary>
/// The smallest ASP.NET Core host that offers plugin management: AddGrpcPlugins, AddGrpcPluginsManagement, and the routes
/// mounted where the host likes behind an authorization policy of its own. It runs on 127.0.0.1 with a real Kestrel
/// port, with one built-in plugin ("memory", the test plugin's storage) and a plugins folder of its own.
/// </summary>
internal sealed class MinimalHost : IAsyncDisposable
{
    public const string AdminToken = "admin-secret";
    public const string ReaderToken = "reader-secret";
    public const string NodeName = "node-a";

    private readonly WebApplication _app;

    private MinimalHost(WebApplication app, string pluginsDir, string baseUrl)
    {
        _app = app;
        PluginsDir = pluginsDir;
        BaseUrl = baseUrl;
    }

    public string PluginsDir { get; }

    public string BaseUrl { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<MinimalHost> StartAsync(string trustedKeyFile, string prefix = "/v1/plugins", string? pluginsDir = null, string nodeName = NodeName, string? clusterConnectionString = null)
    {
        pluginsDir ??= Path.Combine(Directory.CreateTempSubdirectory("mgmt-host-").FullName, "plugins");
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Plugins:memory:Type"] = "Storage",
            ["Plugins:memory:Command"] = TestPackages.TestPluginDll,
            ["Plugins:memory:Args:0"] = "storage",
            ["PluginManagement:PluginsPath"] = pluginsDir,
            ["PluginManagement:TrustedKeys:0"] = trustedKeyFile,
            ["PluginManagement:NodeName"] = nodeName,
            ["PluginManagement:Cluster:ConnectionString"] = clusterConnectionString,
        });

        // What the brief promises a host: a few lines.
        builder.Services.AddGrpcPlugins(builder.Configuration);
        builder.Services.AddGrpcPluginsManagement(builder.Configuration.GetSection("PluginManagement"));
        builder.Services.AddAuthentication("token").AddScheme<AuthenticationSchemeOptions, TokenHandler>("token", null);
        builder.Services.AddAuthorization(o => o.AddPolicy("plugin-admins", p => p.RequireRole("admin")));
        var app = builder.Build();
        app.MapGrpcPluginsManagement(prefix).RequireAuthorization("plugin-admins");
        app.MapGrpcPluginsNodes().RequireAuthorization("plugin-admins");

        await app.StartAsync().WaitAsync(TestPackages.Timeout);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new MinimalHost(app, pluginsDir, address);
    }

    public HttpClient Client(string? token)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TestPackages.Timeout };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WaitAsync(TestPackages.Timeout);
        await _app.DisposeAsync();
    }

    /// <summary>The host's own sign-in: two fixed bearer tokens, one for an admin and one for a reader.</summary>
    private sealed class TokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var role = Request.Headers.Authorization.ToString() switch
            {
                "Bearer " + AdminToken => "admin",
                "Bearer " + ReaderToken => "reader",
                _ => null,
            };
            if (role is null)
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, role + "-user"), new Claim(ClaimTypes.Role, role)], Scheme.Name);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
        }
    }
}
