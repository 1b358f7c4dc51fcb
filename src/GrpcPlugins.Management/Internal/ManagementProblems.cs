using System.Text.Json;
using GrpcPlugins;
using Microsoft.AspNetCore.Http;

namespace GrpcPlugins.Management.Internal;

/// <summary>The body of every error answer: the HTTP status, a typed code in snake_case and a message for a person.</summary>
/// <param name="Status">The HTTP status code.</param>
/// <param name="Code">The error code in snake_case, such as "not_found".</param>
/// <param name="Message">What went wrong and how to fix it.</param>
internal sealed record ManagementProblem(int Status, string Code, string Message);

/// <summary>Maps errors to problem answers, the same way the file-transfer host answers its own routes.</summary>
internal static class ManagementProblems
{
    /// <summary>The JSON of the management answers: camelCase, as ASP.NET Core's web defaults, whatever the host configured.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static int StatusFor(PluginErrorCode code) => GrpcPlugins.Management.PluginErrorStatus.For(code);

    /// <summary>
    /// The answer for a plugin error. An internal error of a plugin (or of what it called) is 502 Bad Gateway: the
    /// plugin behind this host failed, not the host.
    /// </summary>
    public static IResult Problem(PluginException error) =>
        error is { Code: PluginErrorCode.Internal, ErrorSource: PluginErrorSource.Plugin or PluginErrorSource.Downstream }
            ? Problem(StatusCodes.Status502BadGateway, error.Code, error.Message)
            : Problem(StatusFor(error.Code), error.Code, error.Message);

    public static IResult Problem(PluginErrorCode code, string message) => Problem(StatusFor(code), code, message);

    /// <summary>An invalid-argument error (400), for a request this host cannot use.</summary>
    public static PluginException BadRequest(string message) =>
        PluginException.FromHost(PluginErrorCode.InvalidArgument, message);

    public static IResult Problem(int status, PluginErrorCode code, string message) =>
        Results.Json(
            new ManagementProblem(status, JsonNamingPolicy.SnakeCaseLower.ConvertName(code.ToString()), message),
            Json,
            contentType: "application/problem+json",
            statusCode: status);
}
