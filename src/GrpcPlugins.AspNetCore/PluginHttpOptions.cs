using GrpcPlugins.Http.V1;
using Microsoft.AspNetCore.Http;

namespace GrpcPlugins.AspNetCore;

/// <summary>How a host serves plugin routes and runs plugin middleware. Configure with <c>services.Configure&lt;PluginHttpOptions&gt;</c>.</summary>
public sealed class PluginHttpOptions
{
    /// <summary>
    /// Decides whether a request may reach a plugin route of a gate: returns null to let it through, or the result to
    /// answer with (such as a 401 problem). It may set <see cref="HttpContext.User"/>; the user's id (the NameIdentifier
    /// claim, else the name) and roles (Role claims) go to the plugin. Defaults to <see cref="DefaultGate"/>.
    /// </summary>
    public Func<HttpContext, RouteGate, ValueTask<IResult?>> Gate { get; set; } = DefaultGate;

    /// <summary>How long a middleware plugin has to decide about a request before it counts as down. Defaults to 2 seconds.</summary>
    public TimeSpan MiddlewareTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a plugin has to list its routes or its middleware position. Defaults to 10 seconds.</summary>
    public TimeSpan DescribeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Names of middleware plugins that fail open: while such a plugin is down or too slow, requests go on without it.
    /// Every other middleware plugin fails closed (503). Defaults to none.
    /// </summary>
    public ISet<string> FailOpen { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// The default gate: public routes are open; session routes need an authenticated <see cref="HttpContext.User"/>
    /// (else 401); admin routes need the role "admin" (else 403).
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="gate">The route's gate.</param>
    /// <returns>Null to let the request through, or the problem to answer with.</returns>
    public static ValueTask<IResult?> DefaultGate(HttpContext context, RouteGate gate)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (gate == RouteGate.Public)
        {
            return ValueTask.FromResult<IResult?>(null);
        }

        if (context.User.Identity?.IsAuthenticated != true)
        {
            return ValueTask.FromResult<IResult?>(Results.Problem(statusCode: 401, title: "Sign-in required", detail: "This plugin route needs a session: sign in and send your credentials."));
        }

        return gate == RouteGate.Admin && !context.User.IsInRole("admin")
            ? ValueTask.FromResult<IResult?>(Results.Problem(statusCode: 403, title: "Administrators only", detail: "This plugin route needs the role 'admin'."))
            : ValueTask.FromResult<IResult?>(null);
    }
}
