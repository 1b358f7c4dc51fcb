using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// Adds what every plugin call carries: the <see cref="PluginContext"/> values and W3C trace context as
/// metadata, and a default deadline for unary calls that have none.
/// </summary>
internal sealed class PluginCallInterceptor(TimeSpan callTimeout) : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithContext(context, callTimeout));

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncClientStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(WithContext(context, null));

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithContext(context, null));

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(WithContext(context, null));

    internal static Metadata ContextHeaders(Metadata? existing)
    {
        var headers = existing ?? [];
        if (PluginContext.Current is { } current)
        {
            Add(headers, PluginProtocol.TransferIdHeader, current.TransferId);
            Add(headers, PluginProtocol.UserIdHeader, current.UserId);
            Add(headers, PluginProtocol.RequestIdHeader, current.RequestId);
        }

        if (Activity.Current is { } activity)
        {
            DistributedContextPropagator.Current.Inject(activity, headers, static (carrier, key, value) =>
            {
                if (carrier is Metadata metadata && value is not null && metadata.Get(key) is null)
                {
                    metadata.Add(key, value);
                }
            });
        }

        return headers;
    }

    private static ClientInterceptorContext<TRequest, TResponse> WithContext<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, TimeSpan? defaultTimeout)
        where TRequest : class
        where TResponse : class
    {
        var options = context.Options.WithHeaders(ContextHeaders(context.Options.Headers));
        if (options.Deadline is null && defaultTimeout is { } timeout)
        {
            options = options.WithDeadline(DateTime.UtcNow + timeout);
        }

        return new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, options);
    }

    private static void Add(Metadata headers, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value) && headers.Get(key) is null)
        {
            headers.Add(key, value);
        }
    }
}
