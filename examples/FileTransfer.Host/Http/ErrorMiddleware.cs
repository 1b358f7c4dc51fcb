using Microsoft.AspNetCore.Connections;

namespace FileTransfer.Host.Http;

/// <summary>
/// Handles the failures nobody can answer, inside <c>UseExceptionHandler</c> (whose <see cref="ProblemExceptionHandler"/>
/// answers the rest with problem JSON): a client that went away, and a failure after the answer had begun, which must
/// break the connection rather than let a short body pass for a complete one. Each is one Warning line.
/// </summary>
public sealed partial class ErrorMiddleware(RequestDelegate next, ILogger<ErrorMiddleware> logger)
{
    /// <summary>Handles one request.</summary>
    /// <param name="context">The request.</param>
    /// <returns>A task that completes when the request is handled.</returns>
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception ex) when (context.RequestAborted.IsCancellationRequested || ex is ConnectionResetException)
        {
            // The client went away (it reset its own upload, say): expected, and nobody is left to answer.
            LogClientGone(logger, context.Request.Method, context.Request.Path, ex.Message);
        }
        catch (Exception ex) when (context.Response.HasStarted)
        {
            // The answer had begun when something behind it failed (a plugin crash mid-download): the status is sent, so
            // the only honest signal left is a broken connection, never a short body read as complete.
            LogCutShort(logger, context.Request.Method, context.Request.Path, ex.Message);
            context.Abort();
        }
    }

    [LoggerMessage(3, LogLevel.Warning, "{Method} {Path}: the client went away before the answer ({Reason})")]
    private static partial void LogClientGone(ILogger logger, string method, string path, string reason);

    [LoggerMessage(4, LogLevel.Warning, "{Method} {Path} failed after its answer had begun, so the connection was aborted: {Reason}")]
    private static partial void LogCutShort(ILogger logger, string method, string path, string reason);
}
