namespace FileTransfer.Host.Files;

/// <summary>A page of files.</summary>
/// <param name="Items">The files.</param>
/// <param name="NextPageToken">The token of the next page, or empty.</param>
public sealed record FilePageDto(IReadOnlyList<FileDto> Items, string NextPageToken);
