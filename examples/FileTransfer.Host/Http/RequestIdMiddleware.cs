using GrpcPlugins.Hosting;

namespace FileTransfer.Host.Http;

/// <summary>
/// Gives each request an id, taken from <c>X-Request-Id</c> when the caller sent a sensible one, returns it in the
/// answer, and sends it to every plugin call made for the request.
/// </summary>
public sealed class RequestIdMiddleware(RequestDelegate next)
{
    /// <summary>The header carrying the request id.</summary>
    public const string Header = "X-Request-Id";

    /// <summary>Handles one request.</summary>
    /// <param name="context">The request.</param>
    /// <returns>A task that completes when the request is handled.</returns>
    public async Task InvokeAsync(HttpContext context)
    {
        var given = context.Request.Headers[Header].ToString();
        var id = IsSensible(given) ? given : Guid.NewGuid().ToString("N");
        context.TraceIdentifier = id;
        context.Response.Headers[Header] = id;
        using (PluginContext.Begin(new PluginContext(RequestId: id)))
        {
            await next(context);
        }
    }

    // Ids are echoed into headers and logs, so only short, plain ones are taken as given.
    private static bool IsSensible(string id) =>
        id.Length is > 0 and <= 128 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');
}
