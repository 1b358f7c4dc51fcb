using GrpcPlugins.Storage.V1;

namespace FileTransfer.Host.Files;

/// <summary>A stored file.</summary>
/// <param name="Id">The file's id.</param>
/// <param name="Name">The file's name.</param>
/// <param name="Size">The file's size in bytes.</param>
/// <param name="Sha256">The SHA-256 of the content, lowercase hex.</param>
/// <param name="MimeType">The media type.</param>
/// <param name="CreatedAt">When the file was stored.</param>
/// <param name="Owner">The id of the user the file belongs to; empty for a file stored before owners, which belongs to the admins.</param>
public sealed record FileDto(string Id, string Name, long Size, string Sha256, string MimeType, DateTimeOffset? CreatedAt, string Owner)
{
    /// <summary>Converts the wire type.</summary>
    /// <param name="id">The id.</param>
    /// <param name="metadata">The metadata.</param>
    /// <returns>The DTO.</returns>
    public static FileDto From(string id, ObjectMetadata metadata) =>
        new(id, metadata.Name, metadata.Size, metadata.Sha256, metadata.MimeType, metadata.CreatedAt?.ToDateTimeOffset(), metadata.Owner);
}
