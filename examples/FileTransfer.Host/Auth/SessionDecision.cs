using GrpcPlugins.Auth.V1;
using Action = GrpcPlugins.Auth.V1.Action;

namespace FileTransfer.Host.Auth;

/// <summary>
/// The auth plugin's answer for a request, kept in the request's features by <see cref="SessionAuthenticationHandler"/>
/// and <see cref="SessionRequirementHandler"/> so that a request asks the plugin once.
/// </summary>
/// <param name="Token">The bearer token asked about.</param>
/// <param name="Action">The action asked about.</param>
/// <param name="Answer">The plugin's answer: allowed or not, the user, and why not.</param>
public sealed record SessionDecision(string Token, Action Action, AuthorizeResponse Answer)
{
    /// <summary>The user the plugin named (an empty user if it named none).</summary>
    public User User => Answer.User ?? new User();

    /// <summary>The message of a refusal: who may not do what here, and why if the plugin said.</summary>
    public string RefusalMessage
    {
        get
        {
            var reason = string.IsNullOrEmpty(Answer.Reason) ? string.Empty : $" ({Answer.Reason})";
            return $"User '{User.Username}' may not {Action.ToString().ToLowerInvariant()} here{reason}.";
        }
    }
}
