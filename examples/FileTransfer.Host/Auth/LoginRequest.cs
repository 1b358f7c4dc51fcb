namespace FileTransfer.Host.Auth;

/// <summary>A login request.</summary>
/// <param name="Username">The user's name.</param>
/// <param name="Password">The user's password.</param>
public sealed record LoginRequest(string? Username, string? Password);
