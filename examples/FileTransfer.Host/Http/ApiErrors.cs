using GrpcPlugins;
using GrpcPlugins.Management;

namespace FileTransfer.Host.Http;

/// <summary>
/// Maps errors to problem-details answers: the shape is <see cref="PluginProblems"/> (GrpcPlugins.Management), the one
/// the management API answers with too; this adds this host's own refusals (<see cref="ApiException"/>).
/// </summary>
public static class ApiErrors
{
    /// <summary>The body field of the problem's code.</summary>
    public const string CodeField = PluginProblems.CodeField;

    /// <summary>The body field of the problem's message (the same text as <c>detail</c>).</summary>
    public const string MessageField = PluginProblems.MessageField;

    /// <summary>The HTTP status for each plugin error code.</summary>
    /// <param name="code">The plugin error code.</param>
    /// <returns>The HTTP status code.</returns>
    public static int StatusFor(PluginErrorCode code) => PluginErrorStatus.For(code);

    /// <summary>The snake_case name of a code, as sent in a problem's <c>code</c>.</summary>
    /// <param name="code">The plugin error code.</param>
    /// <returns>The code's name.</returns>
    public static string CodeName(PluginErrorCode code) => PluginProblems.CodeName(code);

    /// <summary>A problem answer for a plugin error (<see cref="PluginProblems.For(PluginException)"/>: 502 for a plugin's internal error).</summary>
    /// <param name="error">The error.</param>
    /// <returns>The answer.</returns>
    public static IResult Problem(PluginException error) => PluginProblems.For(error);

    /// <summary>A problem answer for a code and message.</summary>
    /// <param name="code">The error code.</param>
    /// <param name="message">What went wrong and how to fix it.</param>
    /// <returns>The answer.</returns>
    public static IResult Problem(PluginErrorCode code, string message) => PluginProblems.For(code, message);

    /// <summary>A problem answer with an HTTP status of its own, for a code whose usual status does not fit (415, say).</summary>
    /// <param name="status">The HTTP status code.</param>
    /// <param name="code">The error code.</param>
    /// <param name="message">What went wrong and how to fix it.</param>
    /// <returns>The answer.</returns>
    public static IResult Problem(int status, PluginErrorCode code, string message) => PluginProblems.For(status, code, message);

    /// <summary>
    /// A problem answer (RFC 9457, <see cref="PluginProblems.For(int, string, string, IEnumerable{KeyValuePair{string, object}})"/>):
    /// <c>type</c>, <c>title</c>, <c>status</c>, <c>detail</c> and <c>traceId</c>, and the fields this API has always
    /// sent, <c>code</c> and <c>message</c>, with any <paramref name="extensions"/>.
    /// </summary>
    /// <param name="status">The HTTP status code.</param>
    /// <param name="code">The problem's code in snake_case, such as "not_found".</param>
    /// <param name="message">What went wrong and how to fix it.</param>
    /// <param name="extensions">More fields of the body, or null.</param>
    /// <returns>The answer.</returns>
    public static IResult Problem(int status, string code, string message, IEnumerable<KeyValuePair<string, object?>>? extensions = null) =>
        PluginProblems.For(status, code, message, extensions);

    /// <summary>An invalid-argument error, answered with 400.</summary>
    /// <param name="message">What was wrong and how to fix it.</param>
    /// <returns>The error, to throw.</returns>
    public static ApiException BadRequest(string message) => ApiException.BadRequest(message);

    /// <summary>A problem answer for an error this host raised itself.</summary>
    /// <param name="error">The error.</param>
    /// <returns>The answer.</returns>
    public static IResult Problem(ApiException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return Problem(error.Status, error.Code, error.Message);
    }
}
