using GrpcPlugins;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace FileTransfer.Host.Http;

/// <summary>
/// The limits on a request's line and headers, answered with problem JSON. Kestrel answers requests over its own limits
/// before any middleware runs, with an empty body that no application can change; so its limits are set to twice these
/// (<see cref="RaiseKestrelLimits"/>) and this middleware, the first of the pipeline, enforces these with a 414 or 431
/// problem answer. A request over Kestrel's doubled limits still gets Kestrel's bare answer, as does one that is not
/// HTTP at all (a malformed request line or header).
/// </summary>
public sealed class RequestHeadLimits(RequestDelegate next)
{
    /// <summary>The longest request line, in bytes: method, target, protocol, two spaces and CRLF. 8 KiB.</summary>
    public const int MaxRequestLineBytes = 8 * 1024;

    /// <summary>The most bytes of all headers, each counted as <c>name: value</c> and CRLF. 32 KiB.</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    /// <summary>The most header lines. 100.</summary>
    public const int MaxHeaderCount = 100;

    /// <summary>Sets Kestrel's limits to twice this host's, so that requests a little over them reach this middleware.</summary>
    /// <param name="limits">Kestrel's limits.</param>
    public static void RaiseKestrelLimits(KestrelServerLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.MaxRequestLineSize = 2 * MaxRequestLineBytes;
        limits.MaxRequestHeadersTotalSize = 2 * MaxHeaderBytes;
        limits.MaxRequestHeaderCount = 2 * MaxHeaderCount;
    }

    /// <summary>Handles one request.</summary>
    /// <param name="context">The request.</param>
    /// <returns>A task that completes when the request is handled.</returns>
    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? $"{request.PathBase}{request.Path}{request.QueryString}";
        var lineBytes = request.Method.Length + 1 + target.Length + 1 + request.Protocol.Length + 2;
        if (lineBytes > MaxRequestLineBytes)
        {
            return Refuse(context, StatusCodes.Status414UriTooLong,
                $"The request line is {lineBytes} bytes; this host takes at most {MaxRequestLineBytes}. Shorten the URL (its path and query), or send long values in the body.");
        }

        var (count, bytes) = (0, 0);
        foreach (var (name, values) in request.Headers)
        {
            foreach (var value in values)
            {
                count++;
                bytes += name.Length + 2 + (value?.Length ?? 0) + 2;
            }
        }

        if (count > MaxHeaderCount || bytes > MaxHeaderBytes)
        {
            return Refuse(context, StatusCodes.Status431RequestHeaderFieldsTooLarge,
                $"The request has {count} header lines of {bytes} bytes; this host takes at most {MaxHeaderCount} lines of {MaxHeaderBytes} bytes in all. Send fewer or shorter headers (large cookies, say).");
        }

        return next(context);
    }

    // The request's body is not read, so the connection is closed rather than left holding it.
    private static Task Refuse(HttpContext context, int status, string message)
    {
        context.Response.Headers.Connection = "close";
        return ApiErrors.Problem(status, PluginErrorCode.InvalidArgument, message).ExecuteAsync(context);
    }
}
