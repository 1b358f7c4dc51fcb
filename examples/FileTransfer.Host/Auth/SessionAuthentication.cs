using FileTransfer.Host.Http;
using GrpcPlugins.Auth.V1;
using GrpcPlugins.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Action = GrpcPlugins.Auth.V1.Action;

namespace FileTransfer.Host.Auth;

/// <summary>
/// The session gate as ASP.NET Core authentication and authorization, as Stratos gates its session routes: the bearer
/// token must be one the auth plugin accepts (the <see cref="Scheme"/> scheme, <see cref="SessionAuthenticationHandler"/>),
/// and the plugin's Authorize must allow the action the HTTP method implies (the <see cref="SessionPolicy"/> policy) or
/// the admin action (the <see cref="AdminPolicy"/> policy). Route groups take a policy with <c>RequireAuthorization</c>.
/// </summary>
public static class SessionAuthentication
{
    /// <summary>The authentication scheme of bearer sessions.</summary>
    public const string Scheme = "Session";

    /// <summary>The policy of session routes: the auth plugin allows the action that the request's method implies.</summary>
    public const string SessionPolicy = "session";

    /// <summary>The policy of admin routes: the auth plugin allows the admin action.</summary>
    public const string AdminPolicy = "admin";

    /// <summary>Adds the session scheme, its two policies and <see cref="SessionValidator"/>.</summary>
    /// <param name="services">The host's services.</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddSessionAuthentication(this IServiceCollection services)
    {
        // No default scheme, not even the one a single scheme would become (ASP.NET Core's documented switch): only routes
        // with a policy authenticate, so public routes and the dashboard's files never reach the auth plugin.
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, SessionAuthenticationHandler>(Scheme, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(SessionPolicy, p => p.AddAuthenticationSchemes(Scheme).AddRequirements(new SessionRequirement(admin: false)))
            .AddPolicy(AdminPolicy, p => p.AddAuthenticationSchemes(Scheme).AddRequirements(new SessionRequirement(admin: true)));
        services.AddSingleton<IAuthorizationHandler, SessionRequirementHandler>();
        services.AddSingleton<SessionValidator>();
        return services;
    }

    /// <summary>
    /// Runs the rest of the request in the signed-in user's <see cref="PluginContext"/>, so every plugin call made for
    /// it carries the user id. Goes after <c>UseAuthorization</c>.
    /// </summary>
    /// <param name="app">The application.</param>
    /// <returns>The same application.</returns>
    public static IApplicationBuilder UseSessionContext(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var user = http.Features.Get<SessionDecision>()?.User;
        if (user is null)
        {
            await next(http);
            return;
        }

        using (PluginContext.Begin(new PluginContext(UserId: user.Id)))
        {
            await next(http);
        }
    });

    /// <summary>The signed-in user of a request that passed the session gate.</summary>
    /// <param name="context">The request.</param>
    /// <returns>The user the auth plugin named.</returns>
    public static User SessionUser(this HttpContext context) =>
        context.Features.Get<SessionDecision>()?.User ?? throw new InvalidOperationException("The route reads the session user but has no session policy: add RequireAuthorization(SessionAuthentication.SessionPolicy) to its group.");

    /// <summary>
    /// Whether the signed-in user of a request that passed the session gate may do what admins do (the auth plugin allows
    /// the admin action, as the <see cref="AdminPolicy"/> policy asks): an admin sees every user's files and transfers,
    /// anyone else only their own. Asks the plugin unless the gate already asked it about the admin action.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <returns>Whether the user is an admin.</returns>
    public static async Task<bool> IsAdminAsync(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var decision = context.Features.Get<SessionDecision>() ?? throw new InvalidOperationException("The route asks whether the user is an admin but has no session policy: add RequireAuthorization(SessionAuthentication.SessionPolicy) to its group.");
        if (decision.Action == Action.Admin)
        {
            return decision.Answer.Allowed;
        }

        var validator = context.RequestServices.GetRequiredService<SessionValidator>();
        return (await validator.ValidateAsync(decision.Token, context.Request.Path, Action.Admin, context.RequestAborted)).Allowed;
    }

    /// <summary>The request's bearer token, or null.</summary>
    /// <param name="context">The request.</param>
    /// <returns>The token.</returns>
    public static string? BearerToken(this HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7 ? header[7..].Trim() : null;
    }

    /// <summary>The action an HTTP method implies.</summary>
    /// <param name="method">The HTTP method.</param>
    /// <returns>The action.</returns>
    public static Action ActionFor(string method) => method switch
    {
        "GET" or "HEAD" => Action.Read,
        "DELETE" => Action.Delete,
        _ => Action.Write,
    };

    /// <summary>The action a request needs: the admin action on a route with the admin policy, else its method's.</summary>
    /// <param name="context">The request.</param>
    /// <param name="admin">Whether the admin action is needed whatever the route says.</param>
    /// <returns>The action.</returns>
    public static Action ActionFor(HttpContext context, bool admin = false)
    {
        ArgumentNullException.ThrowIfNull(context);
        var adminRoute = context.GetEndpoint()?.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == AdminPolicy) ?? false;
        return admin || adminRoute ? Action.Admin : ActionFor(context.Request.Method);
    }
}
