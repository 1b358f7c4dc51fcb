using System.Diagnostics;
using System.Diagnostics.Metrics;
using Grpc.Core;
using GrpcPlugins.Internal;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>
/// The plugin side of a call in OpenTelemetry terms: a server span that continues the host's W3C trace context
/// and baggage, and the <c>rpc.server.call.duration</c> histogram, both tagged with the rpc.* semantic conventions.
/// </summary>
internal static class SdkTelemetry
{
    public static readonly ActivitySource Source = new(PluginTelemetry.SourceName, typeof(SdkTelemetry).Assembly.GetName().Version?.ToString());

    private static readonly Meter Meter = new(PluginTelemetry.SourceName, typeof(SdkTelemetry).Assembly.GetName().Version?.ToString());

    // The rpc semantic conventions' advice for durations in seconds; OpenTelemetry's default buckets suit milliseconds.
    private static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60];

    private static readonly Histogram<double> Duration = Meter.CreateHistogram(
        PluginTelemetry.ServerCallDurationName,
        "s",
        "How long the plugin took to serve each call from its host, by method and gRPC status.",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    /// <summary>
    /// Starts the call's server span as the child of the host's span named by the <c>traceparent</c> header, and makes
    /// it current. Null when nothing listens; then the request's own activity, if any, gets the attributes instead.
    /// </summary>
    public static Activity? StartCall(ServerCallContext context, out string service, out string method)
    {
        (service, method) = SplitMethod(context.Method);
        var headers = context.RequestHeaders;
        Activity? activity = null;
        if (Source.HasListeners())
        {
            var propagator = DistributedContextPropagator.Current;
            propagator.ExtractTraceIdAndState(headers, Header, out var traceParent, out var traceState);

            // The parent is the host's span, or none: never the request activity ASP.NET Core made, which is not exported
            // (and, without a traceparent, not sampled, which would leave the call untraced).
            if (!ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var parent))
            {
                Activity.Current = null;
            }

            activity = Source.StartActivity(service + "/" + method, ActivityKind.Server, parent);
            if (activity is not null)
            {
                foreach (var (key, value) in propagator.ExtractBaggage(headers, Header) ?? [])
                {
                    activity.AddBaggage(key, value);
                }
            }
        }

        Tag(activity ?? Activity.Current, context, service, method);
        return activity;
    }

    /// <summary>Ends the call's span with its status and records its duration.</summary>
    public static void EndCall(Activity? activity, string service, string method, StatusCode status, string? error, long startedAt)
    {
        Duration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, RpcTelemetry.CallTags(service, method, status));
        RpcTelemetry.EndSpan(activity, status, error);
    }

    private static void Header(object? carrier, string name, out string? value, out IEnumerable<string>? values)
    {
        values = null;
        value = carrier is Metadata metadata ? metadata.GetValue(name) : null;
    }

    private static void Tag(Activity? activity, ServerCallContext context, string service, string method)
    {
        if (activity is null)
        {
            return;
        }

        var ids = context.GetPluginContext();
        RpcTelemetry.TagCall(activity, service, method, ids.TransferId, ids.UserId, ids.RequestId);
    }

    // "/grpcplugins.storage.v1.StorageService/Store" → ("grpcplugins.storage.v1.StorageService", "Store").
    private static (string Service, string Method) SplitMethod(string fullName)
    {
        var trimmed = fullName.TrimStart('/');
        var slash = trimmed.LastIndexOf('/');
        return slash < 0 ? (string.Empty, trimmed) : (trimmed[..slash], trimmed[(slash + 1)..]);
    }
}
