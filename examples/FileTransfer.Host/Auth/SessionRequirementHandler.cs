using Microsoft.AspNetCore.Authorization;

namespace FileTransfer.Host.Auth;

/// <summary>
/// Decides <see cref="SessionRequirement"/> from the auth plugin's answer that authentication kept; asks the plugin
/// again only when the requirement needs another action than the one asked (an admin policy on a session route).
/// </summary>
/// <param name="validator">Asks the auth plugin.</param>
public sealed class SessionRequirementHandler(SessionValidator validator) : AuthorizationHandler<SessionRequirement>
{
    /// <inheritdoc />
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, SessionRequirement requirement)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(requirement);
        if (context.Resource is not HttpContext http || http.Features.Get<SessionDecision>() is not { } decision)
        {
            context.Fail(new AuthorizationFailureReason(this, "The request has no session."));
            return;
        }

        var action = SessionAuthentication.ActionFor(http, requirement.Admin);
        if (decision.Action != action)
        {
            decision = new SessionDecision(decision.Token, action, await validator.ValidateAsync(decision.Token, http.Request.Path, action, http.RequestAborted));
            http.Features.Set(decision);
        }

        if (decision.Answer.Allowed)
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, decision.RefusalMessage));
        }
    }
}
