using GrpcPlugins;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Management.Internal;

/// <summary>
/// Turns a management route's failure into a problem answer, so every host answers the same errors the same way,
/// with or without error middleware of its own. It wraps the route handlers only: a host's own filters and
/// authorization on the group answer for themselves.
/// </summary>
internal static class ManagementErrorFilter
{
    public static async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        try
        {
            return await next(context);
        }
        catch (PluginException ex)
        {
            ManagementLog.RequestFailed(Logger(http), http.Request.Method, http.Request.Path, ex.Code, ex.Message);
            return PluginProblems.For(ex);
        }
        catch (Exception ex) when (!http.RequestAborted.IsCancellationRequested)
        {
            // (A request whose client went away has nobody to answer: its cancellation goes on up.)
            ManagementLog.RequestFailedUnexpectedly(Logger(http), http.Request.Method, http.Request.Path, ex);
            return PluginProblems.For(
                PluginErrorCode.Internal,
                $"The host failed unexpectedly; the request id {http.TraceIdentifier} finds the details in its log.");
        }
    }

    private static ILogger Logger(HttpContext http) =>
        http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PluginManager).FullName!);
}
