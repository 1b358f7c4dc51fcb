using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using GrpcPlugins.Plugin.V1;

namespace GrpcPlugins;

/// <summary>
/// Converts between <see cref="PluginException"/> and the wire form: an <see cref="RpcException"/>
/// whose google.rpc.Status carries a <see cref="PluginError"/> detail.
/// </summary>
public static class PluginErrors
{
    /// <summary>Maps a typed code to the gRPC status code sent with it.</summary>
    /// <param name="code">The typed code.</param>
    /// <returns>The matching gRPC status code.</returns>
    public static StatusCode ToStatusCode(PluginErrorCode code) => code switch
    {
        PluginErrorCode.InvalidArgument => StatusCode.InvalidArgument,
        PluginErrorCode.NotFound => StatusCode.NotFound,
        PluginErrorCode.AlreadyExists => StatusCode.AlreadyExists,
        PluginErrorCode.Unauthenticated => StatusCode.Unauthenticated,
        PluginErrorCode.PermissionDenied => StatusCode.PermissionDenied,
        PluginErrorCode.Unavailable => StatusCode.Unavailable,
        PluginErrorCode.Timeout => StatusCode.DeadlineExceeded,
        PluginErrorCode.Cancelled => StatusCode.Cancelled,
        PluginErrorCode.NotSupported => StatusCode.Unimplemented,
        PluginErrorCode.FailedPrecondition => StatusCode.FailedPrecondition,
        PluginErrorCode.ResourceExhausted => StatusCode.ResourceExhausted,
        _ => StatusCode.Internal,
    };

    /// <summary>Maps a gRPC status code to a typed code, for errors that carry no <see cref="PluginError"/> detail.</summary>
    /// <param name="code">The gRPC status code.</param>
    /// <returns>The closest typed code.</returns>
    public static PluginErrorCode FromStatusCode(StatusCode code) => code switch
    {
        StatusCode.InvalidArgument or StatusCode.OutOfRange => PluginErrorCode.InvalidArgument,
        StatusCode.NotFound => PluginErrorCode.NotFound,
        StatusCode.AlreadyExists => PluginErrorCode.AlreadyExists,
        StatusCode.Unauthenticated => PluginErrorCode.Unauthenticated,
        StatusCode.PermissionDenied => PluginErrorCode.PermissionDenied,
        StatusCode.Unavailable => PluginErrorCode.Unavailable,
        StatusCode.DeadlineExceeded => PluginErrorCode.Timeout,
        StatusCode.Cancelled => PluginErrorCode.Cancelled,
        StatusCode.Unimplemented => PluginErrorCode.NotSupported,
        StatusCode.FailedPrecondition or StatusCode.Aborted => PluginErrorCode.FailedPrecondition,
        StatusCode.ResourceExhausted => PluginErrorCode.ResourceExhausted,
        _ => PluginErrorCode.Internal,
    };

    /// <summary>Builds the wire detail for an exception.</summary>
    /// <param name="exception">The exception to describe.</param>
    /// <returns>The <see cref="PluginError"/> detail.</returns>
    public static PluginError ToDetail(PluginException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var detail = new PluginError
        {
            Code = (ErrorCode)exception.Code,
            Message = exception.Message,
            Cause = exception.Cause ?? string.Empty,
            Source = (ErrorSource)exception.ErrorSource,
            Retryable = exception.Retryable,
        };
        foreach (var (key, value) in exception.Metadata)
        {
            detail.Metadata[key] = value;
        }

        return detail;
    }

    /// <summary>Builds the <see cref="RpcException"/> a plugin sends for a typed error.</summary>
    /// <param name="exception">The typed error.</param>
    /// <returns>An exception carrying a google.rpc.Status with the <see cref="PluginError"/> detail.</returns>
    public static RpcException ToRpcException(PluginException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var status = new Google.Rpc.Status
        {
            Code = (int)ToStatusCode(exception.Code),
            Message = exception.Message,
            Details = { Any.Pack(ToDetail(exception)) },
        };
        return status.ToRpcException();
    }

    /// <summary>
    /// Reads a failed call back into a <see cref="PluginException"/>: the plugin's own detail when
    /// it sent one, else a code derived from the gRPC status.
    /// </summary>
    /// <param name="exception">The failed call.</param>
    /// <param name="pluginName">The plugin's name, to put in the message.</param>
    /// <returns>The typed error.</returns>
    public static PluginException FromRpcException(RpcException exception, string? pluginName = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var detail = TryGetDetail(exception);
        if (detail is not null)
        {
            var code = detail.Code == ErrorCode.Unspecified || !System.Enum.IsDefined(detail.Code)
                ? PluginErrorCode.Internal
                : (PluginErrorCode)detail.Code;
            return new PluginException(code, detail.Message, exception)
            {
                Cause = string.IsNullOrEmpty(detail.Cause) ? null : detail.Cause,
                Metadata = detail.Metadata.ToDictionary(),
                ErrorSource = detail.Source == ErrorSource.Unspecified || !System.Enum.IsDefined(detail.Source)
                    ? PluginErrorSource.Plugin
                    : (PluginErrorSource)detail.Source,
                Retryable = detail.Retryable,
                PluginName = pluginName,
            };
        }

        return FromBareStatus(exception, pluginName);
    }

    /// <summary>
    /// The google.rpc.Status a failed call carries, or null when it carries none or one that is not valid protobuf
    /// (a plugin may send garbage; that must not turn into a parse error in the host).
    /// </summary>
    /// <param name="exception">The failed call.</param>
    /// <returns>The status, or null.</returns>
    public static Google.Rpc.Status? TryGetRpcStatus(RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        try
        {
            return exception.GetRpcStatus();
        }
        catch (Google.Protobuf.InvalidProtocolBufferException)
        {
            return null;
        }
    }

    private static PluginException FromBareStatus(RpcException exception, string? pluginName)
    {
        var code = FromStatusCode(exception.StatusCode);
        var who = pluginName is null ? "the plugin" : $"plugin '{pluginName}'";
        var message = exception.StatusCode switch
        {
            StatusCode.Unavailable =>
                $"Could not reach {who}: it is not running or stopped answering. Check the host log for the plugin's exit and stderr.",
            StatusCode.DeadlineExceeded =>
                $"The call to {who} did not finish before its deadline. Raise the call timeout or check why the plugin is slow.",
            StatusCode.Cancelled => $"The call to {who} was cancelled.",
            StatusCode.ResourceExhausted => $"The call to {who} was refused for lack of resources ({exception.Status.Detail}). If a message was too large, send smaller chunks or raise MaxMessageSize on both host and plugin.",
            _ => string.IsNullOrEmpty(exception.Status.Detail)
                ? $"The call to {who} failed with gRPC status {exception.StatusCode}."
                : pluginName is null ? exception.Status.Detail : $"Plugin '{pluginName}' failed with gRPC status {exception.StatusCode}: {exception.Status.Detail}",
        };
        return new PluginException(code, message, exception)
        {
            Cause = exception.Status.Detail,
            ErrorSource = exception.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled
                ? PluginErrorSource.Host
                : PluginErrorSource.Plugin,
            PluginName = pluginName,
        };
    }

    private static PluginError? TryGetDetail(RpcException exception)
    {
        try
        {
            return TryGetRpcStatus(exception)?.GetDetail<PluginError>();
        }
        catch (Google.Protobuf.InvalidProtocolBufferException)
        {
            // A plugin that sends a malformed status detail is treated as having sent none.
            return null;
        }
    }
}
