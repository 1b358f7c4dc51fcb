using GrpcPlugins.Auth.V1;
using GrpcPlugins.Protocol.V1;
using GrpcPlugins.Storage.V1;

namespace FileTransfer.Host.Api;

/// <summary>A login request.</summary>
/// <param name="Username">The user's name.</param>
/// <param name="Password">The user's password.</param>
public sealed record LoginRequest(string? Username, string? Password);

/// <summary>A refresh request.</summary>
/// <param name="RefreshToken">The refresh token from the login.</param>
public sealed record RefreshBody(string? RefreshToken);

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

/// <summary>A stored file.</summary>
/// <param name="Id">The file's id.</param>
/// <param name="Name">The file's name.</param>
/// <param name="Size">The file's size in bytes.</param>
/// <param name="Sha256">The SHA-256 of the content, lowercase hex.</param>
/// <param name="MimeType">The media type.</param>
/// <param name="CreatedAt">When the file was stored.</param>
public sealed record FileDto(string Id, string Name, long Size, string Sha256, string MimeType, DateTimeOffset? CreatedAt)
{
    /// <summary>Converts the wire type.</summary>
    /// <param name="id">The id.</param>
    /// <param name="metadata">The metadata.</param>
    /// <returns>The DTO.</returns>
    public static FileDto From(string id, ObjectMetadata metadata) =>
        new(id, metadata.Name, metadata.Size, metadata.Sha256, metadata.MimeType, metadata.CreatedAt?.ToDateTimeOffset());
}

/// <summary>A page of files.</summary>
/// <param name="Items">The files.</param>
/// <param name="NextPageToken">The token of the next page, or empty.</param>
public sealed record FilePageDto(IReadOnlyList<FileDto> Items, string NextPageToken);

/// <summary>Storage statistics.</summary>
/// <param name="TotalItems">How many files are stored.</param>
/// <param name="TotalSize">How many bytes are stored.</param>
public sealed record StatsDto(long TotalItems, long TotalSize);

/// <summary>A request to send a stored file elsewhere.</summary>
/// <param name="FileId">The stored file's id.</param>
/// <param name="Destination">Where to send it, such as another host's base URL.</param>
/// <param name="Protocol">The protocol plugin's name; the configured default when null.</param>
/// <param name="DestinationToken">A bearer token valid at the destination, when it needs one.</param>
public sealed record TransferRequest(string? FileId, string? Destination, string? Protocol, string? DestinationToken);

/// <summary>The optional body of a resume request.</summary>
/// <param name="DestinationToken">A fresh bearer token for the destination, when the one the transfer started with is no longer valid there.</param>
public sealed record ResumeTransferRequest(string? DestinationToken);

/// <summary>The answer of <c>GET /v1/transfers</c>.</summary>
/// <param name="Transfers">The transfers this host has started, newest first, each as last seen.</param>
public sealed record TransferListDto(IReadOnlyList<TransferDto> Transfers);

/// <summary>A transfer's state.</summary>
/// <param name="Id">The transfer's id.</param>
/// <param name="Status">pending, active, completed, failed or cancelled.</param>
/// <param name="Progress">The fraction done.</param>
/// <param name="BytesTransferred">The bytes the receiver acknowledged.</param>
/// <param name="TotalBytes">The file's size.</param>
/// <param name="Error">Why a failed transfer failed.</param>
/// <param name="FileId">The file sent.</param>
/// <param name="Destination">Where it goes.</param>
/// <param name="StartedAt">When it started.</param>
public sealed record TransferDto(string Id, string Status, double Progress, long BytesTransferred, long TotalBytes, string Error, string FileId, string Destination, DateTimeOffset? StartedAt)
{
    /// <summary>Converts the wire type.</summary>
    /// <param name="transfer">The wire type.</param>
    /// <param name="fileId">The file sent.</param>
    /// <returns>The DTO.</returns>
    public static TransferDto From(Transfer transfer, string fileId) => new(
        transfer.Id,
        StatusName(transfer.Status),
        transfer.Progress,
        transfer.BytesTransferred,
        transfer.TotalBytes,
        transfer.Error,
        fileId,
        transfer.Destination,
        transfer.StartedAt?.ToDateTimeOffset());

    /// <summary>The lowercase name of a transfer status.</summary>
    /// <param name="status">The status.</param>
    /// <returns>Its name.</returns>
    public static string StatusName(TransferStatus status) => status.ToString().ToLowerInvariant();
}
