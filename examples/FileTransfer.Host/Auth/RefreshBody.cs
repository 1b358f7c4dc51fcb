namespace FileTransfer.Host.Auth;

/// <summary>A refresh request.</summary>
/// <param name="RefreshToken">The refresh token from the login.</param>
public sealed record RefreshBody(string? RefreshToken);
