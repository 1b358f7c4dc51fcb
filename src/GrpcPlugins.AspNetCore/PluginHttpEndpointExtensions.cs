using GrpcPlugins.AspNetCore;
using GrpcPlugins.AspNetCore.Internal;
using GrpcPlugins.Http.V1;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Mounts plugin routes and plugin middleware in an ASP.NET Core application.</summary>
public static class PluginHttpEndpointExtensions
{
    private const string PathParameter = "grpcplugins_path";

    /// <summary>
    /// Serves the routes of every route plugin (grpcplugins.http.v1.RouteService) under <paramref name="prefix"/>. The
    /// table follows plugins as they start, stop, upgrade and are removed; a route that shadows a host route or another
    /// plugin's is refused and logged. Needs <c>AddPluginHttp</c>.
    /// </summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <param name="prefix">The path the routes live under, such as <c>/v1/ext</c>.</param>
    /// <returns>The catch-all endpoint, for more conventions (such as rate limiting).</returns>
    public static IEndpointConventionBuilder MapPluginRoutes(this IEndpointRouteBuilder endpoints, string prefix)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        var table = endpoints.ServiceProvider.GetService<PluginRouteTable>()
            ?? throw new InvalidOperationException("MapPluginRoutes needs services.AddPluginHttp() at startup.");
        var trimmed = "/" + prefix.Trim('/');
        table.Prefix = trimmed;
        var dispatcher = endpoints.ServiceProvider.GetRequiredService<PluginRouteDispatcher>();
        return endpoints.Map(trimmed + "/{**" + PathParameter + "}", dispatcher.InvokeAsync)
            .WithMetadata(new PluginRoutesMarker())
            .WithDisplayName("Plugin routes " + trimmed);
    }

    /// <summary>
    /// Runs the middleware plugins of <paramref name="stage"/> on every request, in priority order. Put it where the
    /// stage belongs: before-session ahead of authentication, after-session behind it (or use
    /// <see cref="AddPluginMiddleware{TBuilder}"/> on endpoints gated by a filter). Needs <c>AddPluginHttp</c>.
    /// </summary>
    /// <param name="app">The application.</param>
    /// <param name="stage">The stage to run.</param>
    /// <returns>The same application.</returns>
    public static IApplicationBuilder UsePluginMiddleware(this IApplicationBuilder app, MiddlewareStage stage)
    {
        ArgumentNullException.ThrowIfNull(app);
        var runner = app.ApplicationServices.GetService<PluginMiddlewareRunner>()
            ?? throw new InvalidOperationException("UsePluginMiddleware needs services.AddPluginHttp() at startup.");
        return app.Use(async (context, next) =>
        {
            var answer = await runner.RunAsync(context, stage).ConfigureAwait(false);
            if (answer is not null)
            {
                await answer.ExecuteAsync(context).ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        });
    }

    /// <summary>
    /// Runs the middleware plugins of <paramref name="stage"/> as an endpoint filter of these endpoints: added after a
    /// session filter, it runs after the session gate and sees the user. Needs <c>AddPluginHttp</c>.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoints' builder, such as a route group.</typeparam>
    /// <param name="builder">The endpoints.</param>
    /// <param name="stage">The stage to run.</param>
    /// <returns>The same builder.</returns>
    public static TBuilder AddPluginMiddleware<TBuilder>(this TBuilder builder, MiddlewareStage stage)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddEndpointFilter(async (context, next) =>
        {
            var runner = context.HttpContext.RequestServices.GetRequiredService<PluginMiddlewareRunner>();
            var answer = await runner.RunAsync(context.HttpContext, stage).ConfigureAwait(false);
            return answer is not null ? answer : await next(context).ConfigureAwait(false);
        });
    }
}
