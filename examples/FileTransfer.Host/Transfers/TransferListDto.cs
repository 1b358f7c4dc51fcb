namespace FileTransfer.Host.Transfers;

/// <summary>The answer of <c>GET /v1/transfers</c>.</summary>
/// <param name="Transfers">The transfers this host has started, newest first, each as last seen.</param>
public sealed record TransferListDto(IReadOnlyList<TransferDto> Transfers);
