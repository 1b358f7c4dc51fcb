using Microsoft.AspNetCore.Authorization;

namespace FileTransfer.Host.Auth;

/// <summary>The requirement of the session policies: the auth plugin allows the request's action, or the admin action.</summary>
/// <param name="admin">Whether the admin action is required rather than the method's.</param>
public sealed class SessionRequirement(bool admin) : IAuthorizationRequirement
{
    /// <summary>Whether the admin action is required rather than the one the HTTP method implies.</summary>
    public bool Admin { get; } = admin;
}
