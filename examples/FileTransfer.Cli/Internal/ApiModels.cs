using System.Text.Json.Serialization;

namespace FileTransfer.Cli.Internal;

/// <summary>The body of POST /v1/auth/login.</summary>
/// <param name="Username">The user's name.</param>
/// <param name="Password">The user's password.</param>
internal sealed record LoginBody(string Username, string Password);

/// <summary>The body of POST /v1/auth/refresh.</summary>
/// <param name="RefreshToken">The refresh token of the session.</param>
internal sealed record RefreshBody(string RefreshToken);

/// <summary>A signed-in user.</summary>
/// <param name="Id">The user's id.</param>
/// <param name="Username">The user's name.</param>
/// <param name="Roles">The user's roles.</param>
internal sealed record UserInfo(string? Id, string? Username, IReadOnlyList<string>? Roles);

/// <summary>The answer of login and refresh.</summary>
/// <param name="Token">The bearer token.</param>
/// <param name="ExpiresAt">When it expires.</param>
/// <param name="RefreshToken">The token to refresh it with.</param>
/// <param name="User">Who signed in.</param>
internal sealed record LoginResult(string? Token, DateTimeOffset? ExpiresAt, string? RefreshToken, UserInfo? User);

/// <summary>A stored file.</summary>
/// <param name="Id">The file's id.</param>
/// <param name="Name">The file's name.</param>
/// <param name="Size">The size in bytes.</param>
/// <param name="Sha256">The SHA-256 of the content, lowercase hex.</param>
/// <param name="MimeType">The media type.</param>
/// <param name="CreatedAt">When it was stored.</param>
internal sealed record FileItem(string Id, string? Name, long Size, string? Sha256, string? MimeType, DateTimeOffset? CreatedAt);

/// <summary>A page of GET /v1/files.</summary>
/// <param name="Items">The files.</param>
/// <param name="NextPageToken">The next page's token; empty or null on the last page.</param>
internal sealed record FilePage(IReadOnlyList<FileItem>? Items, string? NextPageToken);

/// <summary>The answer of GET /v1/stats.</summary>
/// <param name="TotalItems">How many files are stored.</param>
/// <param name="TotalSize">How many bytes are stored.</param>
internal sealed record StatsResult(long TotalItems, long TotalSize);

/// <summary>The body of POST /v1/transfers.</summary>
/// <param name="FileId">The stored file to send.</param>
/// <param name="Destination">Where to send it.</param>
/// <param name="Protocol">The protocol plugin, or null for the host's default.</param>
/// <param name="DestinationToken">A bearer token valid at the destination, or null.</param>
internal sealed record TransferBody(string FileId, string Destination, string? Protocol, string? DestinationToken);

/// <summary>A transfer's state.</summary>
/// <param name="Id">The transfer's id.</param>
/// <param name="Status">pending, active, completed, failed or cancelled.</param>
/// <param name="Progress">The fraction done, 0 to 1.</param>
/// <param name="BytesTransferred">The bytes the receiver acknowledged.</param>
/// <param name="TotalBytes">The file's size.</param>
/// <param name="Error">Why it failed, or empty.</param>
/// <param name="FileId">The file sent.</param>
/// <param name="Destination">Where it goes.</param>
/// <param name="StartedAt">When it started.</param>
internal sealed record TransferState(
    string Id,
    string? Status,
    double Progress,
    long BytesTransferred,
    long TotalBytes,
    string? Error,
    string? FileId,
    string? Destination,
    DateTimeOffset? StartedAt)
{
    /// <summary>Whether the transfer has ended (completed, failed or cancelled).</summary>
    [JsonIgnore]
    public bool IsFinal => Status is "completed" or "failed" or "cancelled";
}
