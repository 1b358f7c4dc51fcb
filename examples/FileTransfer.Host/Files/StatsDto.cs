namespace FileTransfer.Host.Files;

/// <summary>Storage statistics.</summary>
/// <param name="TotalItems">How many files are stored.</param>
/// <param name="TotalSize">How many bytes are stored.</param>
public sealed record StatsDto(long TotalItems, long TotalSize);
