using System.Text.Json;
using GrpcPlugins;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;

namespace FileTransfer.Host.Http;

/// <summary>Maps errors to problem-details answers.</summary>
public static class ApiErrors
{
    /// <summary>The body field of the problem's code.</summary>
    public const string CodeField = "code";

    /// <summary>The body field of the problem's message (the same text as <c>detail</c>).</summary>
    public const string MessageField = "message";

    /// <summary>The HTTP status for each plugin error code.</summary>
    /// <param name="code">The plugin error code.</param>
    /// <returns>The HTTP status code.</returns>
    public static int StatusFor(PluginErrorCode code) => GrpcPlugins.Management.PluginErrorStatus.For(code);

    /// <summary>The snake_case name of a code, as sent in a problem's <c>code</c>.</summary>
    /// <param name="code">The plugin error code.</param>
    /// <returns>The code's name.</returns>
    public static string CodeName(PluginErrorCode code) => JsonNamingPolicy.SnakeCaseLower.ConvertName(code.ToString());

    /// <summary>
    /// A problem answer for a plugin error. Plugin-internal errors keep their message, which the SDK already stripped of details,
    /// and are answered with 502 Bad Gateway: the plugin behind this host failed, not the host.
    /// </summary>
    /// <param name="error">The error.</param>
    /// <returns>The answer.</returns>
    public static IResult Problem(PluginException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error is { Code: PluginErrorCode.Internal, ErrorSource: PluginErrorSource.Plugin or PluginErrorSource.Downstream })
        {
            // The plugin failed or answered nonsense: this host is a gateway to it, so 502, not a 500 that blames the host.
            return Problem(StatusCodes.Status502BadGateway, error.Code, error.Message);
        }

        return Problem(error.Code, error.Message);
    }

    /// <summary>A problem answer for a code and message.</summary>
    /// <param name="code">The error code.</param>
    /// <param name="message">What went wrong and how to fix it.</param>
    /// <returns>The answer.</returns>
    public static IResult Problem(PluginErrorCode code, string message) => Problem(StatusFor(code), code, message);

    /// <summary>A problem answer with an HTTP status of its own, for a code whose usual status does not fit (415, say).</summary>
    /// <param name="status">The HTTP status code.</param>
    /// <param name="code">The error code.</param>
    /// <param name="message">What went wrong and how to fix it.</param>
    /// <returns>The answer.</returns>
    public static IResult Problem(int status, PluginErrorCode code, string message) => Problem(status, CodeName(code), message);

    /// <summary>
    /// A problem answer (RFC 9457, written by the <c>AddProblemDetails</c> service): <c>type</c>, <c>title</c>,
    /// <c>status</c> and <c>detail</c>, and the fields this API has always sent, <c>code</c> and <c>message</c> (the
    /// same text as <c>detail</c>), with any <paramref name="extensions"/>.
    /// </summary>
    /// <param name="status">The HTTP status code.</param>
    /// <param name="code">The problem's code in snake_case, such as "not_found".</param>
    /// <param name="message">What went wrong and how to fix it.</param>
    /// <param name="extensions">More fields of the body, or null.</param>
    /// <returns>The answer.</returns>
    public static IResult Problem(int status, string code, string message, IEnumerable<KeyValuePair<string, object?>>? extensions = null)
    {
        var problem = new ProblemDetails { Status = status, Title = ReasonPhrases.GetReasonPhrase(status), Detail = message };
        problem.Extensions[CodeField] = code;
        problem.Extensions[MessageField] = message;
        foreach (var (name, value) in extensions ?? [])
        {
            problem.Extensions[name] = value;
        }

        return TypedResults.Problem(problem);
    }

    /// <summary>
    /// Gives a problem the framework wrote (an exception the handler did not map, a bare error status) the fields of
    /// this API's problems: <c>code</c> from its status, and <c>message</c>. Set as <c>ProblemDetailsOptions.CustomizeProblemDetails</c>.
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
        var code = Enum.GetValues<PluginErrorCode>().Where(c => c != PluginErrorCode.Internal).FirstOrDefault(c => StatusFor(c) == status, PluginErrorCode.Internal);
        return code != PluginErrorCode.Internal ? CodeName(code) : CodeName(status < 500 ? PluginErrorCode.InvalidArgument : PluginErrorCode.Internal);
    }

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
