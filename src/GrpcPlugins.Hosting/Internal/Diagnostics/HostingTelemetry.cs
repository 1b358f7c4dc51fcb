using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Grpc.Core;
using GrpcPlugins.Internal;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// The host's OpenTelemetry signals: a client span per plugin call, and the call, duration, restart and state
/// metrics. Names follow the rpc.* semantic conventions where they exist.
/// </summary>
internal static class HostingTelemetry
{
    public const string Name = "GrpcPlugins.Hosting";

    public static readonly ActivitySource Source = new(Name, typeof(HostingTelemetry).Assembly.GetName().Version?.ToString());

    private static readonly Meter Meter = new(Name, typeof(HostingTelemetry).Assembly.GetName().Version?.ToString());
    private static readonly ConcurrentDictionary<ILivePlugins, byte> Observed = new();

    private static readonly Counter<long> Calls = Meter.CreateCounter<long>("grpcplugins.plugin.calls", "{call}", "Calls from the host to its plugins, by plugin, method and gRPC status.");
    // Seconds, as the rpc semantic conventions advise; OpenTelemetry's default buckets suit milliseconds.
    private static readonly Histogram<double> Duration = Meter.CreateHistogram(
        "grpcplugins.plugin.call.duration",
        "s",
        "How long calls from the host to its plugins took; a streaming call until its stream ended.",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60, 300] });
    private static readonly Counter<long> Restarts = Meter.CreateCounter<long>("grpcplugins.plugin.restarts", "{restart}", "Restarts of plugins by their supervisor or an operator.");

    static HostingTelemetry()
    {
        Meter.CreateObservableGauge(
            "grpcplugins.plugin.state",
            () => Observed.Keys.SelectMany(l => l.Live).Select(p => new Measurement<int>(1, new("grpcplugins.plugin.name", p.Name), new("grpcplugins.plugin.state", p.State.ToString().ToLowerInvariant()))),
            "{plugin}",
            "The state of each plugin: 1 for its current state.");
    }

    /// <summary>Reports the state of the plugins <paramref name="plugins"/> lists, until <see cref="Forget"/>.</summary>
    public static void Observe(ILivePlugins plugins) => Observed[plugins] = 0;

    /// <summary>Stops reporting what <paramref name="plugins"/> lists, as when its host stops.</summary>
    public static void Forget(ILivePlugins plugins) => Observed.TryRemove(plugins, out _);

    public static void RecordRestart(string plugin, string reason) =>
        Restarts.Add(1, new("grpcplugins.plugin.name", plugin), new("grpcplugins.plugin.restart.reason", reason));

    /// <summary>Starts the client span of a call, leaving the caller's current activity as it was.</summary>
    public static Activity? StartCall(string plugin, IMethod method, PluginContext? context)
    {
        var activity = Source.StartActivity(method.ServiceName + "/" + method.Name, ActivityKind.Client);
        if (activity is null)
        {
            return null;
        }

        RpcTelemetry.TagCall(activity, method.ServiceName, method.Name, context?.TransferId, context?.UserId, context?.RequestId);
        activity.SetTag("grpcplugins.plugin.name", plugin);
        return activity;
    }

    /// <summary>Ends a call's span and records its metrics when its answer (or failure) arrives.</summary>
    public static async Task<T> ObserveAsync<T>(Task<T> response, string plugin, IMethod method, Activity? activity, long startedAt)
    {
        var status = StatusCode.OK;
        string? error = null;
        try
        {
            return await response.ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            (status, error) = (ex.StatusCode, ex.Status.Detail);
            throw;
        }
        finally
        {
            EndCall(plugin, method, activity, startedAt, status, error);
        }
    }

    /// <summary>Records a call's metrics and ends its span with the call's final status.</summary>
    public static void EndCall(string plugin, IMethod method, Activity? activity, long startedAt, StatusCode status, string? error)
    {
        var tags = RpcTelemetry.CallTags(method.ServiceName, method.Name, status);
        tags.Add("grpcplugins.plugin.name", plugin);
        Calls.Add(1, tags);
        Duration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, tags);
        RpcTelemetry.EndSpan(activity, status, error);
    }
}
