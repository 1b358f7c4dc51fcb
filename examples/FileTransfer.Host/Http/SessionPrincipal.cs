using System.Security.Claims;
using GrpcPlugins.Auth.V1;

namespace FileTransfer.Host.Http;

/// <summary>Turns the auth plugin's user into the request's <see cref="ClaimsPrincipal"/>, which plugin routes and middleware read.</summary>
public static class SessionPrincipal
{
    /// <summary>Sets <see cref="HttpContext.User"/> to <paramref name="user"/>: its id, name and roles as claims.</summary>
    /// <param name="context">The request.</param>
    /// <param name="user">The signed-in user.</param>
    public static void SetUser(this HttpContext context, User user)
    {
        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, user.Id), new(ClaimTypes.Name, user.Username) };
        claims.AddRange(user.Roles.Select(r => new Claim(ClaimTypes.Role, r)));
        context.User = new ClaimsPrincipal(new ClaimsIdentity(claims, "session"));
    }
}
