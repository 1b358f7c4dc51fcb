using System.Diagnostics;
using Grpc.Core;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>
/// Wraps every call in its server span and duration measurement. It runs outside <see cref="ErrorInterceptor"/>, so it
/// sees the status the host will get; a streaming call is measured until its stream ends.
/// </summary>
internal sealed class TelemetryInterceptor : ServerCallInterceptor
{
    protected override async Task<T> InterceptAsync<T>(ServerCallContext context, Func<Task<T>> call)
    {
        // The host's health checks come every few seconds; a span each would bury the calls an operator looks for.
        if (context.Method.StartsWith("/grpc.health.", StringComparison.Ordinal))
        {
            return await call().ConfigureAwait(false);
        }

        var startedAt = Stopwatch.GetTimestamp();
        var activity = SdkTelemetry.StartCall(context, out var service, out var method);
        var status = StatusCode.OK;
        string? error = null;
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            (status, error) = (ex.StatusCode, ex.Status.Detail);
            throw;
        }
        catch (OperationCanceledException)
        {
            (status, error) = (StatusCode.Cancelled, "The call was cancelled.");
            throw;
        }
        catch (Exception ex)
        {
            (status, error) = (StatusCode.Unknown, ex.Message);
            throw;
        }
        finally
        {
            SdkTelemetry.EndCall(activity, service, method, status, error, startedAt);
        }
    }
}
