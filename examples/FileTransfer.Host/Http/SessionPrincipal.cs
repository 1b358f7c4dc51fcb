using System.Security.Claims;
using GrpcPlugins.Auth.V1;

namespace FileTransfer.Host.Http;

/// <summary>Turns the auth plugin's user into the request's <see cref="ClaimsPrincipal"/>, which plugin routes and middleware read.</summary>
public static class SessionPrincipal
{
    /// <summary>A principal for <paramref name="user"/>: its id, name and roles as claims.</summary>
    /// <param name="user">The signed-in user.</param>
    /// <param name="scheme">The authentication scheme that signed the user in.</param>
    /// <returns>The principal.</returns>
    public static ClaimsPrincipal For(User user, string scheme)
    {
        ArgumentNullException.ThrowIfNull(user);
        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, user.Id), new(ClaimTypes.Name, user.Username) };
        claims.AddRange(user.Roles.Select(r => new Claim(ClaimTypes.Role, r)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme));
    }
}
