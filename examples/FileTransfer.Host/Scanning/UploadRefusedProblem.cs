using FileTransfer.Host.Http;

namespace FileTransfer.Host.Scanning;

/// <summary>
/// The 422 answer to an upload a content scanner refused: the fields of every problem answer (<c>status</c>,
/// <c>code</c> "upload_refused", <c>message</c>, ...) and what the scanner found: <c>reason</c> ("malware", "too_large",
/// "media_type_refused" or "unspecified"), <c>threat</c> (such as "EICAR-Test-File", or null) and <c>scanner</c> (the
/// name of the scanner plugin that refused the upload).
/// </summary>
public static class UploadRefusedProblem
{
    /// <summary>The problem code of a refused upload.</summary>
    public const string RefusedCode = "upload_refused";

    /// <summary>The answer for a refusal.</summary>
    /// <param name="refusal">The refusal.</param>
    /// <returns>A 422 problem answer.</returns>
    public static IResult For(UploadRefusedException refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        return ApiErrors.Problem(StatusCodes.Status422UnprocessableEntity, RefusedCode, refusal.Message, new Dictionary<string, object?>
        {
            ["reason"] = refusal.ReasonName,
            ["threat"] = refusal.Threat,
            ["scanner"] = refusal.Scanner,
        });
    }
}
