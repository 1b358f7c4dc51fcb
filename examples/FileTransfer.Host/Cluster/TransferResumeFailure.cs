namespace FileTransfer.Host.Cluster;

/// <summary>Why the node that ran a transfer could not resume it, as the node that asked answers it: a problem's status, code and message.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Code">The problem's code, such as "failed_precondition".</param>
/// <param name="Message">What happened and what to do.</param>
internal sealed record TransferResumeFailure(int Status, string Code, string Message);
