using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>
/// Turns what a plugin's code throws into what the host should see: a <see cref="PluginException"/>
/// becomes a status with the typed detail, anything unexpected becomes INTERNAL with no stack trace,
/// and calls of the plugin's type before Init are refused.
/// </summary>
internal sealed class ErrorInterceptor(InitializationState state, PluginBuilder plugin, ILogger<ErrorInterceptor> logger) : ServerCallInterceptor
{
    protected override async Task<T> InterceptAsync<T>(ServerCallContext context, Func<Task<T>> call)
    {
        if (!state.Initialized && !IsAlwaysAllowed(context.Method))
        {
            throw PluginErrors.ToRpcException(new PluginException(
                PluginErrorCode.FailedPrecondition,
                $"The plugin is not initialized: the host must call {PluginProtocol.LifecycleServiceName}/Init before {context.Method}. A GrpcPlugins host does so at start; under a go-plugin host (a cookie from PluginBuilder.AcceptCookie) Init is needed only when the plugin sets PluginBuilder.RequireInit."));
        }

        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (PluginException ex)
        {
            throw PluginErrors.ToRpcException(ex);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted && ex.Status.Detail.Contains("exceeds the maximum configured message size", StringComparison.Ordinal))
        {
            // gRPC's own words name no limit and no fix; the host's user needs both.
            var direction = ex.Status.Detail.StartsWith("Sending", StringComparison.Ordinal) ? "send" : "receive";
            SdkLog.MessageTooLarge(logger, context.Method, direction, plugin.MaxMessageSize);
            throw PluginErrors.ToRpcException(new PluginException(
                PluginErrorCode.ResourceExhausted,
                $"The plugin refused to {direction} a message larger than its limit of {plugin.MaxMessageSize} bytes in {context.Method} (PluginBuilder.MaxMessageSize). Send smaller chunks (the host's ChunkSize), or raise the limit on both sides.")
            {
                ErrorSource = direction == "send" ? PluginErrorSource.Plugin : PluginErrorSource.Host,
            });
        }
        catch (RpcException)
        {
            throw;
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            var code = context.Deadline <= DateTime.UtcNow ? PluginErrorCode.Timeout : PluginErrorCode.Cancelled;
            throw PluginErrors.ToRpcException(new PluginException(code, $"The call {context.Method} was stopped because the host cancelled it or its deadline passed.")
            {
                ErrorSource = PluginErrorSource.Host,
            });
        }
        catch (Exception ex)
        {
            SdkLog.UnexpectedError(logger, context.Method, ex);
            throw PluginErrors.ToRpcException(new PluginException(
                PluginErrorCode.Internal,
                $"The plugin failed unexpectedly in {context.Method} ({ex.GetType().Name}); its own log has the details."));
        }
    }

    private static bool IsAlwaysAllowed(string method) =>
        method.StartsWith("/grpcplugins.plugin.", StringComparison.Ordinal) || method.StartsWith("/grpc.health.", StringComparison.Ordinal)
        || method.StartsWith("/plugin.", StringComparison.Ordinal);
}
