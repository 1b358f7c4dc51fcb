using System.Text.Encodings.Web;
using FileTransfer.Host.Http;
using GrpcPlugins;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace FileTransfer.Host.Auth;

/// <summary>
/// Authenticates a bearer token through the auth plugin (<see cref="SessionValidator"/>), asking about the request's
/// path and the action its route needs, and keeps the answer as the request's <see cref="SessionDecision"/>. A token the
/// plugin refuses is a 401 problem answer, a session whose user may not act is a 403 one.
/// </summary>
/// <param name="options">The scheme's options.</param>
/// <param name="logger">The logger factory.</param>
/// <param name="encoder">The URL encoder.</param>
/// <param name="validator">Asks the auth plugin.</param>
public sealed class SessionAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, SessionValidator validator)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string NoSession = "This route needs a session: sign in with POST /v1/auth/login and send the token as 'Authorization: Bearer <token>'.";

    /// <inheritdoc />
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = Context.BearerToken();
        if (token is null)
        {
            return AuthenticateResult.NoResult();
        }

        var action = SessionAuthentication.ActionFor(Context);
        SessionDecision decision;
        try
        {
            decision = new SessionDecision(token, action, await validator.ValidateAsync(token, Request.Path, action, Context.RequestAborted));
        }
        catch (PluginException ex) when (ex.Code == PluginErrorCode.Unauthenticated)
        {
            return AuthenticateResult.Fail($"The token is not valid: {ex.Message} Sign in again.");
        }

        // A user whose role does not allow the action is still signed in: the policy refuses with 403, not 401.
        Context.Features.Set(decision);
        return AuthenticateResult.Success(new AuthenticationTicket(SessionPrincipal.For(decision.User, Scheme.Name), Scheme.Name));
    }

    /// <inheritdoc />
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        await ApiErrors.Problem(PluginErrorCode.Unauthenticated, result.Failure?.Message ?? NoSession).ExecuteAsync(Context);
    }

    /// <inheritdoc />
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var message = Context.Features.Get<SessionDecision>()?.RefusalMessage ?? "This session may not use this route.";
        return ApiErrors.Problem(PluginErrorCode.PermissionDenied, message).ExecuteAsync(Context);
    }
}
