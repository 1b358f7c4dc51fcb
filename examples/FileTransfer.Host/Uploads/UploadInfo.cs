namespace FileTransfer.Host.Uploads;

/// <summary>What a resumable upload is for: the file it becomes once complete.</summary>
/// <param name="Name">The file's name.</param>
/// <param name="Size">The file's size in bytes.</param>
/// <param name="MimeType">The file's media type.</param>
/// <param name="Owner">The id of the user who started the upload, who owns the file; set by the host, not the client.</param>
public sealed record UploadInfo(string Name, long Size, string MimeType, string? Owner = null);
