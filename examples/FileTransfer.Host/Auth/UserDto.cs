using GrpcPlugins.Auth.V1;

namespace FileTransfer.Host.Auth;

/// <summary>A signed-in user.</summary>
/// <param name="Id">The user's id.</param>
/// <param name="Username">The user's name.</param>
/// <param name="Roles">The user's roles.</param>
public sealed record UserDto(string Id, string Username, IReadOnlyList<string> Roles)
{
    /// <summary>Converts the wire type.</summary>
    /// <param name="user">The wire type.</param>
    /// <returns>The DTO.</returns>
    public static UserDto From(User? user) => new(user?.Id ?? string.Empty, user?.Username ?? string.Empty, [.. user?.Roles ?? []]);
}
