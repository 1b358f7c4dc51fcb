using FileTransfer.Scanner.V1;

namespace FileTransfer.Host.Scanning;

/// <summary>
/// A content scanner refused an upload, so it was not stored. The API answers it with 422 and an
/// <see cref="UploadRefusedProblem"/>.
/// </summary>
/// <param name="scanner">The name of the scanner plugin that refused it.</param>
/// <param name="fileName">The upload's file name.</param>
/// <param name="verdict">The scanner's answer.</param>
public sealed class UploadRefusedException(string scanner, string fileName, ScanResponse verdict)
    : Exception(string.IsNullOrWhiteSpace(verdict.Message)
        ? $"The content scanner '{scanner}' refused '{fileName}' ({verdict.Reason}); the upload was not stored."
        : $"{verdict.Message} (content scanner '{scanner}')")
{
    /// <summary>The name of the scanner plugin that refused the upload.</summary>
    public string Scanner { get; } = scanner;

    /// <summary>The upload's file name.</summary>
    public string FileName { get; } = fileName;

    /// <summary>Why it was refused.</summary>
    public RefusalReason Reason { get; } = verdict.Reason;

    /// <summary>The threat found, such as "EICAR-Test-File"; null when the refusal is not about a threat.</summary>
    public string? Threat { get; } = string.IsNullOrEmpty(verdict.Threat) ? null : verdict.Threat;

    /// <summary>The reason in snake_case, as the API sends it: "malware", "too_large", "media_type_refused" or "unspecified".</summary>
    public string ReasonName => Reason switch
    {
        RefusalReason.Malware => "malware",
        RefusalReason.TooLarge => "too_large",
        RefusalReason.MediaTypeRefused => "media_type_refused",
        _ => "unspecified",
    };
}
