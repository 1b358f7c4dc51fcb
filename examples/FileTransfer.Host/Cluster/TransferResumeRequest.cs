namespace FileTransfer.Host.Cluster;

/// <summary>
/// A resume asked of the node that ran a transfer by another node, kept in <c>ft_transfers.resume_request</c> only until
/// that node (or the node that takes the transfer over) takes it.
/// </summary>
/// <param name="DestinationToken">The fresh token for the destination the caller gave, if any.</param>
/// <param name="SourceToken">The caller's token on the cluster (sessions are shared), for a protocol plugin that reads files with it.</param>
internal sealed record TransferResumeRequest(string? DestinationToken, string? SourceToken);
