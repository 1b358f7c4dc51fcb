using System.Text.Json;
using GrpcPlugins;

namespace FileTransfer.Host.Http;

/// <summary>Maps errors to problem-details answers.</summary>
public static class ApiErrors
{
    /// <summary>The HTTP status for each plugin error code.</summary>
    /// <param name="code">The plugin error code.</param>
    /// <returns>The HTTP status code.</returns>
    public static int StatusFor(PluginErrorCode code) => GrpcPlugins.Management.PluginErrorStatus.For(code);

    /// <summary>The snake_case name of a code, as sent in <see cref="ApiProblem.Code"/>.</summary>
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
    public static IResult Problem(int status, PluginErrorCode code, string message) =>
        Results.Json(new ApiProblem(status, CodeName(code), message), statusCode: status, contentType: "application/problem+json");

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
        return Results.Json(new ApiProblem(error.Status, error.Code, error.Message), statusCode: error.Status, contentType: "application/problem+json");
    }
}
