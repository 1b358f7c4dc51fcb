using Grpc.Core;
using Grpc.Core.Interceptors;

namespace GrpcPlugins.TestPlugin;

/// <summary>
/// Answers every health check only after 5 s, as a plugin does whose first calls are compiled on a starved CPU: it is
/// listening and serving, just slow to answer.
/// </summary>
internal sealed class SlowHealth : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (context.Method == "/grpc.health.v1.Health/Check")
        {
            await Task.Delay(TimeSpan.FromSeconds(5), context.CancellationToken);
        }

        return await continuation(request, context);
    }
}
