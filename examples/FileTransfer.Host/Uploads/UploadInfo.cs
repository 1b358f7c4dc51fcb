namespace FileTransfer.Host.Uploads;

/// <summary>What a resumable upload is for: the file it becomes once complete.</summary>
/// <param name="Name">The file's name.</param>
/// <param name="Size">The file's size in bytes.</param>
/// <param name="MimeType">The file's media type.</param>
public sealed record UploadInfo(string Name, long Size, string MimeType);
