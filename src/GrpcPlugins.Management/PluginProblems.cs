using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;

namespace GrpcPlugins.Management;

/// <summary>
/// The body of every error answer of a host that serves plugins over HTTP, the management API's and the host's own
/// alike: an RFC 9457 problem (<c>application/problem+json</c> with <c>type</c>, <c>title</c>, <c>status</c>,
/// <c>detail</c> and <c>traceId</c>) that also carries the fields clients have always read, <c>code</c> (the plugin
/// error code in snake_case, such as <c>not_found</c>) and <c>message</c> (the same text as <c>detail</c>). One home
/// for the shape: a host's own error handling builds its answers here too, so both kinds read the same.
/// </summary>
/// <example>
/// <code>
/// catch (PluginException ex) { return PluginProblems.For(ex); }            // 404 not_found, 409 failed_precondition, ...
/// return PluginProblems.For(PluginErrorCode.InvalidArgument, "limit must be between 0 and 1000.");
/// </code>
/// </example>
public static class PluginProblems
{
    /// <summary>The body field of the problem's code, such as <c>not_found</c>.</summary>
    public const string CodeField = "code";

    /// <summary>The body field of the problem's message (the same text as <c>detail</c>).</summary>
    public const string MessageField = "message";

    /// <summary>The body field of the request's trace id (the current activity's id, else the request's identifier).</summary>
    public const string TraceIdField = "traceId";

    /// <summary>The snake_case name of a code, as sent in a problem's <c>code</c>.</summary>
    /// <param name="code">The plugin error code.</param>
    /// <returns>The code's name, such as <c>invalid_argument</c>.</returns>
    public static string CodeName(PluginErrorCode code) => JsonNamingPolicy.SnakeCaseLower.ConvertName(code.ToString());

    /// <summary>
    /// The answer for a plugin error, with the status <see cref="PluginErrorStatus.For"/> gives its code. An internal
    /// error of a plugin (or of what it called) is 502 Bad Gateway: the plugin behind the host failed, not the host.
    /// </summary>
    /// <param name="error">The error.</param>
    /// <returns>The answer.</returns>
    public static IResult For(PluginException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error is { Code: PluginErrorCode.Internal, ErrorSource: PluginErrorSource.Plugin or PluginErrorSource.Downstream }
            ? For(StatusCodes.Status502BadGateway, error.Code, error.Message)
            : For(error.Code, error.Message);
    }

    /// <summary>The answer for a code and a message, with the status <see cref="PluginErrorStatus.For"/> gives the code.</summary>
    /// <param name="code">The error code.</param>
    /// <param name="message">What went wrong and how to fix it.</param>
    /// <returns>The answer.</returns>
    public static IResult For(PluginErrorCode code, string message) => For(PluginErrorStatus.For(code), code, message);

    /// <summary>The answer with an HTTP status of its own, for a code whose usual status does not fit (415 or 502, say).</summary>
    /// <param name="status">The HTTP status code.</param>
    /// <param name="code">The error code.</param>
    /// <param name="message">What went wrong and how to fix it.</param>
    /// <returns>The answer.</returns>
    public static IResult For(int status, PluginErrorCode code, string message) => For(status, CodeName(code), message);

    /// <summary>
    /// The answer for a status, a code of the host's own and a message, with any more fields. It is written by the
    /// host's <see cref="IProblemDetailsService"/> when it registered one (<c>AddProblemDetails</c>), else as JSON.
    /// </summary>
    /// <param name="status">The HTTP status code.</param>
    /// <param name="code">The problem's code in snake_case, such as <c>not_found</c>.</param>
    /// <param name="message">What went wrong and how to fix it.</param>
    /// <param name="extensions">More fields of the body, or null.</param>
    /// <returns>The answer.</returns>
    public static IResult For(int status, string code, string message, IEnumerable<KeyValuePair<string, object?>>? extensions = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        ArgumentNullException.ThrowIfNull(message);
        var problem = new ProblemDetails { Status = status, Title = ReasonPhrases.GetReasonPhrase(status), Detail = message };
        problem.Extensions[CodeField] = code;
        problem.Extensions[MessageField] = message;
        foreach (var (name, value) in extensions ?? [])
        {
            problem.Extensions[name] = value;
        }

        return new TracedProblem(problem);
    }

    /// <summary>
    /// Gives a problem the framework wrote (an exception no handler mapped, a bare error status, a 400 Kestrel answered
    /// before the app) the fields of these problems: <c>code</c> from its status, and <c>message</c>. Set it as
    /// <c>ProblemDetailsOptions.CustomizeProblemDetails</c> in <c>AddProblemDetails</c>.
    /// </summary>
    /// <param name="context">The problem being written.</param>
    public static void Complete(ProblemDetailsContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var problem = context.ProblemDetails;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        problem.Extensions.TryAdd(CodeField, CodeForStatus(status));
        problem.Extensions.TryAdd(MessageField, problem.Detail ?? problem.Title ?? ReasonPhrases.GetReasonPhrase(status));
    }

    /// <summary>The code of a status: the plugin error code answered with it, else invalid_argument (4xx) or internal.</summary>
    /// <param name="status">The HTTP status code.</param>
    /// <returns>The code's snake_case name.</returns>
    public static string CodeForStatus(int status)
    {
        var code = Enum.GetValues<PluginErrorCode>().Where(c => c != PluginErrorCode.Internal).FirstOrDefault(c => PluginErrorStatus.For(c) == status, PluginErrorCode.Internal);
        return code != PluginErrorCode.Internal ? CodeName(code) : CodeName(status < 500 ? PluginErrorCode.InvalidArgument : PluginErrorCode.Internal);
    }

    // The trace id is the request's, known only when the answer is written; the rest (type from the status, the writer)
    // is ASP.NET Core's ProblemHttpResult.
    private sealed class TracedProblem(ProblemDetails problem) : IResult, IStatusCodeHttpResult, IValueHttpResult<ProblemDetails>
    {
        public int? StatusCode => problem.Status;

        public ProblemDetails Value => problem;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            ArgumentNullException.ThrowIfNull(httpContext);
            problem.Extensions.TryAdd(TraceIdField, Activity.Current?.Id ?? httpContext.TraceIdentifier);
            return TypedResults.Problem(problem).ExecuteAsync(httpContext);
        }
    }
}
