using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// Adds what every plugin call carries: the <see cref="PluginContext"/> values and W3C trace context as
/// metadata, and a deadline for calls that have none: the method's own from <see cref="PluginOptions.MethodTimeouts"/>,
/// else <see cref="PluginOptions.CallTimeout"/> for unary calls.
/// </summary>
internal sealed class PluginCallInterceptor(PluginOptions options) : Interceptor
{
    // Every call gets a client span and the call metrics: unary and client-streaming calls end with their answer,
    // streaming answers when their stream ends.
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        var (call, response) = Observed(context, c => continuation(request, WithContext(c, options.TimeoutOf(c.Method.FullName) ?? options.CallTimeout)), c => c.ResponseAsync);
        return new AsyncUnaryCall<TResponse>(response, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncClientStreamingCallContinuation<TRequest, TResponse> continuation)
    {
        var (call, response) = Observed(context, c => continuation(WithContext(c, options.TimeoutOf(c.Method.FullName))), c => c.ResponseAsync);
        return new AsyncClientStreamingCall<TRequest, TResponse>(call.RequestStream, response, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    // A server-streaming call (Retrieve, WatchTransfer) is observed until its stream ends, fails or is abandoned.
    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation)
    {
        var (call, stream) = Started(context, c => continuation(request, WithContext(c, options.TimeoutOf(c.Method.FullName))),
            (c, activity, startedAt) => new ObservedResponseStream<TResponse>(c.ResponseStream, options.Name, context.Method, activity, startedAt));
        return new AsyncServerStreamingCall<TResponse>(stream, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, () =>
        {
            stream.Abandon();
            call.Dispose();
        });
    }

    // A duplex call is observed, like a server-streaming one, until its response stream ends.
    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation)
    {
        var (call, stream) = Started(context, c => continuation(WithContext(c, options.TimeoutOf(c.Method.FullName))),
            (c, activity, startedAt) => new ObservedResponseStream<TResponse>(c.ResponseStream, options.Name, context.Method, activity, startedAt));
        return new AsyncDuplexStreamingCall<TRequest, TResponse>(call.RequestStream, stream, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, () =>
        {
            stream.Abandon();
            call.Dispose();
        });
    }

    private (TCall Call, Task<TResponse> Response) Observed<TRequest, TResponse, TCall>(
        ClientInterceptorContext<TRequest, TResponse> context, Func<ClientInterceptorContext<TRequest, TResponse>, TCall> start, Func<TCall, Task<TResponse>> response)
        where TRequest : class
        where TResponse : class =>
        Started(context, start, (call, activity, startedAt) => HostingTelemetry.ObserveAsync(response(call), options.Name, context.Method, activity, startedAt));

    // Starts the call under its client span, so the traceparent sent is the span's, and puts the caller's activity back.
    private (TCall Call, TObserved Observed) Started<TRequest, TResponse, TCall, TObserved>(
        ClientInterceptorContext<TRequest, TResponse> context, Func<ClientInterceptorContext<TRequest, TResponse>, TCall> start, Func<TCall, Activity?, long, TObserved> observe)
        where TRequest : class
        where TResponse : class
    {
        var caller = Activity.Current;
        var startedAt = Stopwatch.GetTimestamp();
        var activity = HostingTelemetry.StartCall(options.Name, context.Method, PluginContext.Current);
        try
        {
            var call = start(context);
            return (call, observe(call, activity, startedAt));
        }
        catch
        {
            activity?.Dispose();
            throw;
        }
        finally
        {
            Activity.Current = caller;
        }
    }

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
