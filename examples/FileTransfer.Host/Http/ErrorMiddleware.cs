using FileTransfer.Host.Scanning;
using GrpcPlugins;
using Microsoft.AspNetCore.Connections;

namespace FileTransfer.Host.Http;

/// <summary>Turns any failure of a request into a problem-details answer, so no request ends in a bare 500 or a hang.</summary>
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
        catch (PluginException ex) when (!context.Response.HasStarted)
        {
            LogPluginError(logger, context.Request.Method, context.Request.Path, ex.Code, ex.Message);
            await AnswerAsync(context, ApiErrors.Problem(ex));
        }
        catch (ApiException ex) when (!context.Response.HasStarted)
        {
            LogRefused(logger, context.Request.Method, context.Request.Path, ex.Code, ex.Message);
            await AnswerAsync(context, ApiErrors.Problem(ex));
        }
        catch (UploadRefusedException ex) when (!context.Response.HasStarted)
        {
            await AnswerAsync(context, UploadRefusedProblem.For(ex));
        }
        catch (Exception ex) when (!context.Response.HasStarted && PostgresStorage.Internal.DatabaseErrors.IsUnavailable(ex))
        {
            // The shared database of a cluster (users, transfers, uploads) is down or restarting: retry, not a fault.
            LogPluginError(logger, context.Request.Method, context.Request.Path, PluginErrorCode.Unavailable, ex.Message);
            await AnswerAsync(context, ApiErrors.Problem(PostgresStorage.Internal.DatabaseErrors.Unavailable(ex)));
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted && ex.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            await AnswerAsync(context, ApiErrors.Problem(
                StatusCodes.Status415UnsupportedMediaType,
                PluginErrorCode.InvalidArgument,
                $"{context.Request.Method} {context.Request.Path} takes a JSON body: send it with Content-Type: application/json."));
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            await AnswerAsync(context, ApiErrors.Problem(PluginErrorCode.InvalidArgument, ex.Message));
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            LogUnexpected(logger, context.Request.Method, context.Request.Path, ex);
            await AnswerAsync(context, ApiErrors.Problem(PluginErrorCode.Internal, $"The host failed unexpectedly; the request id {context.TraceIdentifier} finds the details in its log."));
        }
    }

    // Headers set for the answer that failed (a download's Content-Length, say) must not describe the problem instead.
    private static Task AnswerAsync(HttpContext context, IResult problem)
    {
        var requestId = context.Response.Headers[RequestIdMiddleware.Header].ToString();
        context.Response.Clear();
        if (requestId.Length > 0)
        {
            context.Response.Headers[RequestIdMiddleware.Header] = requestId;
        }

        return problem.ExecuteAsync(context);
    }

    [LoggerMessage(1, LogLevel.Information, "{Method} {Path} failed: {Code} {Message}")]
    private static partial void LogPluginError(ILogger logger, string method, string path, PluginErrorCode code, string message);

    [LoggerMessage(5, LogLevel.Information, "{Method} {Path} refused: {Code} {Message}")]
    private static partial void LogRefused(ILogger logger, string method, string path, string code, string message);

    [LoggerMessage(3, LogLevel.Warning, "{Method} {Path}: the client went away before the answer ({Reason})")]
    private static partial void LogClientGone(ILogger logger, string method, string path, string reason);

    [LoggerMessage(4, LogLevel.Warning, "{Method} {Path} failed after its answer had begun, so the connection was aborted: {Reason}")]
    private static partial void LogCutShort(ILogger logger, string method, string path, string reason);

    [LoggerMessage(2, LogLevel.Error, "{Method} {Path} failed unexpectedly")]
    private static partial void LogUnexpected(ILogger logger, string method, string path, Exception exception);
}
