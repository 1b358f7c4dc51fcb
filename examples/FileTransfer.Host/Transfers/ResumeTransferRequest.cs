namespace FileTransfer.Host.Transfers;

/// <summary>The optional body of a resume request.</summary>
/// <param name="DestinationToken">A fresh bearer token for the destination, when the one the transfer started with is no longer valid there.</param>
public sealed record ResumeTransferRequest(string? DestinationToken);
