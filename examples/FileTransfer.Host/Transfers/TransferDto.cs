using GrpcPlugins.Protocol.V1;

namespace FileTransfer.Host.Transfers;

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
/// <param name="FinishedAt">When this host first saw it completed, failed or cancelled; null while it runs.</param>
/// <param name="Owner">The id of the user who started it, who (with the admins) may see it; empty for a transfer recorded before owners, which the admins see.</param>
public sealed record TransferDto(string Id, string Status, double Progress, long BytesTransferred, long TotalBytes, string Error, string FileId, string Destination, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt = null, string Owner = "")
{
    /// <summary>Converts the wire type.</summary>
    /// <param name="transfer">The wire type.</param>
    /// <param name="fileId">The file sent.</param>
    /// <param name="owner">The id of the user who started it.</param>
    /// <returns>The DTO.</returns>
    public static TransferDto From(Transfer transfer, string fileId, string owner) => new(
        transfer.Id,
        StatusName(transfer.Status),
        transfer.Progress,
        transfer.BytesTransferred,
        transfer.TotalBytes,
        transfer.Error,
        fileId,
        transfer.Destination,
        transfer.StartedAt?.ToDateTimeOffset(),
        Owner: owner);

    /// <summary>The lowercase name of a transfer status.</summary>
    /// <param name="status">The status.</param>
    /// <returns>Its name.</returns>
    public static string StatusName(TransferStatus status) => status.ToString().ToLowerInvariant();
}
