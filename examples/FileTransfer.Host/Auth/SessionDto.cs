using GrpcPlugins.Auth.V1;

namespace FileTransfer.Host.Auth;

/// <summary>An issued session.</summary>
/// <param name="Token">The bearer token.</param>
/// <param name="ExpiresAt">When the token expires.</param>
/// <param name="RefreshToken">The token to refresh it with.</param>
/// <param name="User">The signed-in user.</param>
public sealed record SessionDto(string Token, DateTimeOffset? ExpiresAt, string RefreshToken, UserDto User)
{
    /// <summary>Converts the wire type.</summary>
    /// <param name="result">The wire type.</param>
    /// <returns>The DTO.</returns>
    public static SessionDto From(AuthResult result) =>
        new(result.Token, result.ExpiresAt?.ToDateTimeOffset(), result.RefreshToken, UserDto.From(result.User));
}
