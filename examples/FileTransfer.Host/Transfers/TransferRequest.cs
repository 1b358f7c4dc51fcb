namespace FileTransfer.Host.Transfers;

/// <summary>A request to send a stored file elsewhere.</summary>
/// <param name="FileId">The stored file's id.</param>
/// <param name="Destination">Where to send it, such as another host's base URL.</param>
/// <param name="Protocol">The protocol plugin's name; the configured default when null.</param>
/// <param name="DestinationToken">A bearer token valid at the destination, when it needs one.</param>
public sealed record TransferRequest(string? FileId, string? Destination, string? Protocol, string? DestinationToken);
