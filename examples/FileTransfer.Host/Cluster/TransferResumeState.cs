using FileTransfer.Host.Transfers;

namespace FileTransfer.Host.Cluster;

/// <summary>Where a resume asked of another node stands, as the node that asked reads it from <c>ft_transfers</c>.</summary>
/// <param name="Latest">The transfer as its node last saved it.</param>
/// <param name="Node">The node that runs it now.</param>
/// <param name="Pending">Whether the request waits to be taken.</param>
/// <param name="Failure">Why the node that took it could not resume the transfer, if it could not.</param>
internal sealed record TransferResumeState(TransferDto Latest, string Node, bool Pending, TransferResumeFailure? Failure);
