using System.Diagnostics;
using Grpc.Core;

namespace GrpcPlugins.Internal;

/// <summary>
/// The OpenTelemetry rpc.* conventions as both sides of a plugin call apply them: the host's client spans and call
/// metrics, and the SDK's server spans and call metrics. One place, so that host and plugin tag alike.
/// </summary>
internal static class RpcTelemetry
{
    /// <summary>Tags a call's span with the rpc.* attributes and the call's transfer, user and request ids.</summary>
    public static void TagCall(Activity activity, string service, string method, string? transferId, string? userId, string? requestId)
    {
        activity.SetTag("rpc.system", "grpc");
        activity.SetTag("rpc.service", service);
        activity.SetTag("rpc.method", method);
        activity.SetTag("grpcplugins.transfer_id", transferId);
        activity.SetTag("grpcplugins.user_id", userId);
        activity.SetTag("grpcplugins.request_id", requestId);
    }

    /// <summary>The rpc.* tags of a finished call, for its metrics.</summary>
    public static TagList CallTags(string service, string method, StatusCode status) => new()
    {
        { "rpc.system", "grpc" },
        { "rpc.service", service },
        { "rpc.method", method },
        { "rpc.grpc.status_code", (int)status },
    };

    /// <summary>Ends a call's span with its final status; an error status carries <paramref name="error"/>.</summary>
    public static void EndSpan(Activity? activity, StatusCode status, string? error)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("rpc.grpc.status_code", (int)status);
        if (status != StatusCode.OK)
        {
            activity.SetStatus(ActivityStatusCode.Error, error);
        }

        activity.Dispose();
    }
}
