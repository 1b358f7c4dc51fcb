using Microsoft.AspNetCore.Http;

namespace GrpcPlugins.Management;

/// <summary>The HTTP status that answers each <see cref="PluginErrorCode"/>, one table for every host that serves plugin errors over HTTP.</summary>
public static class PluginErrorStatus
{
    /// <summary>The HTTP status for a plugin error code: 400 for InvalidArgument, 404 NotFound, 503 Unavailable, 500 for an unknown code, and so on.</summary>
    /// <param name="code">The plugin error code.</param>
    /// <returns>The HTTP status code.</returns>
    public static int For(PluginErrorCode code) => code switch
    {
        PluginErrorCode.InvalidArgument => StatusCodes.Status400BadRequest,
        PluginErrorCode.NotFound => StatusCodes.Status404NotFound,
        PluginErrorCode.AlreadyExists => StatusCodes.Status409Conflict,
        PluginErrorCode.Unauthenticated => StatusCodes.Status401Unauthorized,
        PluginErrorCode.PermissionDenied => StatusCodes.Status403Forbidden,
        PluginErrorCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
        PluginErrorCode.Timeout => StatusCodes.Status504GatewayTimeout,
        PluginErrorCode.Cancelled => StatusCodes.Status408RequestTimeout,
        PluginErrorCode.NotSupported => StatusCodes.Status501NotImplemented,
        PluginErrorCode.FailedPrecondition => StatusCodes.Status409Conflict,
        PluginErrorCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        _ => StatusCodes.Status500InternalServerError,
    };
}
