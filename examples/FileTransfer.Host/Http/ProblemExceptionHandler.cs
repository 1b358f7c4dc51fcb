using FileTransfer.Host.Scanning;
using GrpcPlugins;
using Microsoft.AspNetCore.Diagnostics;

namespace FileTransfer.Host.Http;

/// <summary>
/// Turns the exception a request failed with into its problem answer, for <c>UseExceptionHandler</c>: a plugin's error
/// (<see cref="PluginException"/>), a refusal of this host (<see cref="ApiException"/>), a scanner's refusal, the cluster's
/// database being unavailable (503), a request
/// the framework could not bind, and anything else as a 500 that names the request id.
/// </summary>
/// <param name="logger">Logs the failures.</param>
public sealed partial class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    /// <inheritdoc />
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var request = httpContext.Request;
        var problem = exception switch
        {
            PluginException ex => Logged(ApiErrors.Problem(ex), () => LogPluginError(logger, request.Method, request.Path, ex.Code, ex.Message)),
            ApiException ex => Logged(ApiErrors.Problem(ex), () => LogRefused(logger, request.Method, request.Path, ex.Code, ex.Message)),
            UploadRefusedException ex => UploadRefusedProblem.For(ex),
            // The shared database of a cluster (users, transfers, uploads) is down or restarting: retry, not a fault.
            _ when PostgresStorage.Internal.DatabaseErrors.IsUnavailable(exception) => Logged(
                ApiErrors.Problem(PostgresStorage.Internal.DatabaseErrors.Unavailable(exception)),
                () => LogPluginError(logger, request.Method, request.Path, PluginErrorCode.Unavailable, exception.Message)),
            BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } => ApiErrors.Problem(
                StatusCodes.Status415UnsupportedMediaType,
                PluginErrorCode.InvalidArgument,
                $"{request.Method} {request.Path} takes a JSON body: send it with Content-Type: application/json."),
            BadHttpRequestException ex => ApiErrors.Problem(PluginErrorCode.InvalidArgument, ex.Message),
            _ => Logged(
                ApiErrors.Problem(PluginErrorCode.Internal, $"The host failed unexpectedly; the request id {httpContext.TraceIdentifier} finds the details in its log."),
                () => LogUnexpected(logger, request.Method, request.Path, exception)),
        };

        // The exception handler cleared the headers of the answer that failed; the request id stays.
        httpContext.Response.Headers[RequestIdMiddleware.Header] = httpContext.TraceIdentifier;
        await problem.ExecuteAsync(httpContext);
        return true;
    }

    private static IResult Logged(IResult problem, System.Action log)
    {
        log();
        return problem;
    }

    [LoggerMessage(1, LogLevel.Information, "{Method} {Path} failed: {Code} {Message}")]
    private static partial void LogPluginError(ILogger logger, string method, string path, PluginErrorCode code, string message);

    [LoggerMessage(5, LogLevel.Information, "{Method} {Path} refused: {Code} {Message}")]
    private static partial void LogRefused(ILogger logger, string method, string path, string code, string message);

    [LoggerMessage(2, LogLevel.Error, "{Method} {Path} failed unexpectedly")]
    private static partial void LogUnexpected(ILogger logger, string method, string path, Exception exception);
}
