using FileTransfer.Host.Http;
using GrpcPlugins;

namespace FileTransfer.Host.Uploads;

/// <summary>A sender's offset does not match what the receiver has; the answer carries the receiver's offset.</summary>
/// <param name="actual">The receiver's acknowledged offset.</param>
public sealed class OffsetMismatchException(long actual)
    : ApiException(ApiErrors.StatusFor(PluginErrorCode.FailedPrecondition), ApiErrors.CodeName(PluginErrorCode.FailedPrecondition), $"The upload stands at offset {actual}; send from there (HEAD the upload to read its offset).")
{
    /// <summary>The receiver's acknowledged offset.</summary>
    public long Actual { get; } = actual;
}
