using System.Security.Claims;
using GrpcPlugins.AspNetCore;
using GrpcPlugins.Hosting;
using GrpcPlugins.Http.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GrpcPlugins.AspNetCore.Tests;

/// <summary>
/// A minimal ASP.NET Core host on 127.0.0.1 with real test plugin processes: a user from the x-test-user header
/// ("id:role,role"), plugin middleware before the session, a host route under the plugin prefix, and plugin routes.
/// </summary>
internal sealed class HttpTestHost : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private HttpTestHost(WebApplication app, HttpClient client)
    {
        App = app;
        Client = client;
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public IPluginRegistry Registry => App.Services.GetRequiredService<IPluginRegistry>();

    public static string PluginDll { get; } = FindPluginDll();

    public static PluginOptions PluginOptions(string name, string mode) => new()
    {
        Name = name,
        Type = GrpcPlugins.Plugin.V1.PluginType.Custom,
        Command = PluginDll,
        Args = [mode],
        Services = [ServiceOf(mode)],
        StartTimeout = TimeSpan.FromMinutes(1),
    };

    private static string ServiceOf(string mode) =>
        mode.Contains("middleware", StringComparison.Ordinal) ? MiddlewareService.Descriptor.FullName : RouteService.Descriptor.FullName;

    public static async Task<HttpTestHost> StartAsync((string Name, string Mode, int Priority)[] plugins, Action<PluginHttpOptions>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(plugins.SelectMany(p => new Dictionary<string, string?>
        {
            [$"Plugins:{p.Name}:Type"] = "Custom",
            [$"Plugins:{p.Name}:Command"] = PluginDll,
            [$"Plugins:{p.Name}:Args:0"] = p.Mode,
            [$"Plugins:{p.Name}:Priority"] = p.Priority.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [$"Plugins:{p.Name}:StartTimeout"] = "00:01:00",
            [$"Plugins:{p.Name}:Services:0"] = ServiceOf(p.Mode),
        }));
        builder.Services.AddGrpcPlugins(builder.Configuration);
        builder.Services.AddPluginHttp(configure);
        var app = builder.Build();
        app.Use((context, next) =>
        {
            var user = context.Request.Headers["x-test-user"].ToString();
            if (user.Length > 0)
            {
                var parts = user.Split(':', 2);
                var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, parts[0]) };
                claims.AddRange((parts.Length > 1 ? parts[1] : string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries).Select(r => new Claim(ClaimTypes.Role, r)));
                context.User = new ClaimsPrincipal(new ClaimsIdentity(claims, "test"));
            }

            return next(context);
        });
        app.UsePluginMiddleware(MiddlewareStage.BeforeSession);
        app.MapGet("/v1/ext/host-route", () => "host");
        app.MapGet("/plain", (HttpContext context) => "seen=" + context.Request.Headers["x-mw-seen"]);
        app.MapPluginRoutes("/v1/ext");
        await app.StartAsync().WaitAsync(Timeout);
        var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = Timeout };
        return new HttpTestHost(app, client);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync().WaitAsync(Timeout);
        await App.DisposeAsync();
    }

    private static string FindPluginDll()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GrpcPlugins.sln")))
        {
            dir = dir.Parent;
        }

        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        return Path.Combine(dir!.FullName, "tests", "GrpcPlugins.TestPlugin", "bin", configuration, "net10.0", "GrpcPlugins.TestPlugin.dll");
    }
}
