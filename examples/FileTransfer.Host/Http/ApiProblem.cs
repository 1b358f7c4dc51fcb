namespace FileTransfer.Host.Http;

/// <summary>The body of every error answer: the HTTP status, a typed code and a message for a person.</summary>
/// <param name="Status">The HTTP status code.</param>
/// <param name="Code">The error code in snake_case, such as "not_found".</param>
/// <param name="Message">What went wrong and how to fix it.</param>
public sealed record ApiProblem(int Status, string Code, string Message);
