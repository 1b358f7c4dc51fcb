namespace FileTransfer.Host.Scanning;

/// <summary>
/// The body of a 422 answer to an upload a content scanner refused: the fields of every problem answer
/// (<c>status</c>, <c>code</c> "upload_refused", <c>message</c>) and what the scanner found.
/// </summary>
/// <param name="Status">422.</param>
/// <param name="Code">"upload_refused".</param>
/// <param name="Message">What the scanner found and what to do.</param>
/// <param name="Reason">"malware", "too_large", "media_type_refused" or "unspecified".</param>
/// <param name="Threat">The threat found, such as "EICAR-Test-File", or null.</param>
/// <param name="Scanner">The name of the scanner plugin that refused the upload.</param>
public sealed record UploadRefusedProblem(int Status, string Code, string Message, string Reason, string? Threat, string Scanner)
{
    /// <summary>The problem code of a refused upload.</summary>
    public const string RefusedCode = "upload_refused";

    /// <summary>The answer for a refusal.</summary>
    /// <param name="refusal">The refusal.</param>
    /// <returns>A 422 problem answer.</returns>
    public static IResult For(UploadRefusedException refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        var body = new UploadRefusedProblem(
            StatusCodes.Status422UnprocessableEntity, RefusedCode, refusal.Message, refusal.ReasonName, refusal.Threat, refusal.Scanner);
        return Results.Json(body, statusCode: body.Status, contentType: "application/problem+json");
    }
}
