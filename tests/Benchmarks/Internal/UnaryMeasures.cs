using System.Diagnostics;
using Google.Protobuf;
using GrpcPlugins.Auth.V1;
using GrpcPlugins.Hosting;
using Action = GrpcPlugins.Auth.V1.Action;

namespace GrpcPlugins.Benchmarks.Internal;

/// <summary>Latency of a unary call (Authorize) and the cost of a cold start.</summary>
internal static class UnaryMeasures
{
    private static readonly PluginContext CallContext = new("t-1", "u-1", "r-1");

    /// <summary>p50/p99 in µs and calls per second of <paramref name="calls"/> calls spread over <paramref name="callers"/> callers.</summary>
    public sealed record Latency(double P50, double P99, double PerSecond);

    public static async Task RunAsync(SuiteSettings settings, Report report, GoPeer.Result? go)
    {
        await using var plugin = await Plugins.TestAuthAsync(settings);
        var auth = plugin.Auth;
        Func<Task> call = async () =>
        {
            var answer = await auth.AuthorizeAsync("tok-alice", "files/report.pdf", Action.Read);
            if (!answer.Allowed)
            {
                throw new InvalidOperationException("The test plugin refused the benchmark's Authorize: " + answer.Reason);
            }
        };

        await MeasureAsync(call, settings.UnaryCalls, 1);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var sequential = await MeasureAsync(call, settings.UnaryCalls, 1);
        var allocatedPerCall = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / (double)settings.UnaryCalls;
        var (hostCpuBefore, pluginCpuBefore) = (PeakMemory.CpuMilliseconds(PeakMemory.Self), PeakMemory.CpuMilliseconds(plugin.ProcessId));
        var concurrent = await MeasureAsync(call, settings.UnaryCalls, settings.Concurrency);
        var hostCpuPerCall = (PeakMemory.CpuMilliseconds(PeakMemory.Self) - hostCpuBefore) * 1000 / settings.UnaryCalls;
        var pluginCpuPerCall = (PeakMemory.CpuMilliseconds(plugin.ProcessId) - pluginCpuBefore) * 1000 / settings.UnaryCalls;

        Func<Task> local = () => InProcessAuthorize();
        await MeasureAsync(local, settings.UnaryCalls, 1);
        var floorSequential = await MeasureAsync(local, settings.UnaryCalls, 1);
        var floorConcurrent = await MeasureAsync(local, settings.UnaryCalls, settings.Concurrency);

        var n = settings.Concurrency;
        report.Add(new Row("Unary Authorize, sequential, p50", "µs", sequential.P50, new("in-process", floorSequential.P50), Peer(go, "go-plugin", r => r.UnarySeqP50)));
        report.Add(new Row("Unary Authorize, sequential, p99", "µs", sequential.P99, new("in-process", floorSequential.P99), Peer(go, "go-plugin", r => r.UnarySeqP99)));
        report.Add(new Row($"Unary Authorize, {n} callers, p50", "µs", concurrent.P50, new("in-process", floorConcurrent.P50), Peer(go, "go-plugin", r => r.UnaryConcP50)));
        report.Add(new Row($"Unary Authorize, {n} callers, p99", "µs", concurrent.P99, new("in-process", floorConcurrent.P99), Peer(go, "go-plugin", r => r.UnaryConcP99)));
        report.Add(new Row($"Unary Authorize, {n} callers, throughput", "calls/s", concurrent.PerSecond, new("in-process", floorConcurrent.PerSecond), Peer(go, "go-plugin", r => r.UnaryConcPerSecond)));
        report.Add(new Row("Unary Authorize, host bytes allocated per call, sequential", "B", allocatedPerCall, null, null));
        report.Add(new Row($"Unary Authorize, {n} callers, host CPU time per call", "µs", hostCpuPerCall, null, null));
        report.Add(new Row($"Unary Authorize, {n} callers, plugin CPU time per call", "µs", pluginCpuPerCall, null, null));
        report.Note($"Unary: {settings.UnaryCalls:#,0} Authorize calls to the test plugin (tests/GrpcPlugins.TestPlugin, mode auth) after as many warm-up calls, with a plugin context (3 headers) on each. " +
            "Bytes allocated per call are the host process's (GC.GetTotalAllocatedBytes over the sequential calls, the benchmark's own timing included), less disturbed by other work than the latencies. " +
            "In-process is the same handler work called directly: request and response serialized and parsed, the token checked, the reason formatted.");
    }

    public static async Task RunColdStartAsync(SuiteSettings settings, Report report, GoPeer.Result? go)
    {
        var (wall, cpu) = await MeasureColdStartsAsync(settings);
        report.Add(new Row("Cold start, spawn to Init returned, median", "ms", wall, new("target", 150), Peer(go, "go-plugin", r => r.ColdStartMs)));
        report.Add(new Row("Cold start, plugin CPU time until Init returned, median", "ms", cpu, null, null));
        report.Note($"Cold start: median of {settings.ColdStarts} starts of the test plugin with `dotnet GrpcPlugins.TestPlugin.dll` (PluginClient.StartAsync: spawn, handshake, dial, health, metadata, Init). " +
            "go-plugin's is spawn until its first call returned. The plugin's CPU time (user + system, /proc/<pid>/stat) is less disturbed than the wall time when other work shares the cores.");
    }

    /// <summary>The same cold start for the test plugin published with NativeAOT, when it can be published here.</summary>
    public static async Task RunNativeAotColdStartAsync(SuiteSettings settings, Report report, GoPeer.Result? go)
    {
        var executable = await NativeAotPlugin.PublishAsync(settings, report);
        if (executable is null)
        {
            return;
        }

        var (wall, cpu) = await MeasureColdStartsAsync(settings with { TestPlugin = executable });
        report.Add(new Row("Cold start, NativeAOT plugin, spawn to Init returned, median", "ms", wall, new("target", 20), Peer(go, "go-plugin", r => r.ColdStartMs)));
        report.Add(new Row("Cold start, NativeAOT plugin CPU time until Init returned, median", "ms", cpu, null, null));
        report.Note($"NativeAOT cold start: the same {settings.ColdStarts} starts of the test plugin published by `{NativeAotPlugin.Command}` and started as its native executable.");
    }

    private static async Task<(double Wall, double Cpu)> MeasureColdStartsAsync(SuiteSettings settings)
    {
        var samples = new List<double>();
        var cpu = new List<double>();
        for (var i = 0; i < settings.ColdStarts; i++)
        {
            var watch = Stopwatch.StartNew();
            var plugin = await Plugins.TestAuthAsync(settings);
            samples.Add(watch.Elapsed.TotalMilliseconds);
            cpu.Add(PeakMemory.CpuMilliseconds(plugin.ProcessId));
            await plugin.StopAsync();
        }

        return (Stats.Percentile(samples, 0.5), Stats.Percentile(cpu, 0.5));
    }

    /// <summary>Runs <paramref name="calls"/> calls over <paramref name="callers"/> concurrent callers, each timed.</summary>
    public static async Task<Latency> MeasureAsync(Func<Task> call, int calls, int callers)
    {
        var ticks = new long[calls];
        var next = -1;
        var total = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            using var scope = PluginContext.Begin(CallContext);
            int i;
            while ((i = Interlocked.Increment(ref next)) < calls)
            {
                var start = Stopwatch.GetTimestamp();
                await call();
                ticks[i] = Stopwatch.GetTimestamp() - start;
            }
        })));
        var elapsed = total.Elapsed;
        var micros = ticks.Select(Stats.Microseconds).ToArray();
        return new Latency(Stats.Percentile(micros, 0.5), Stats.Percentile(micros, 0.99), calls / elapsed.TotalSeconds);
    }

    internal static Reference? Peer(GoPeer.Result? go, string name, Func<GoPeer.Result, double> pick) =>
        go is null ? null : new Reference(name, pick(go));

    // The plugin's work without the process boundary: what the test plugin's Authorize does, plus the (de)serialization the wire needs.
    private static Task InProcessAuthorize()
    {
        var requestBytes = new AuthorizeRequest { Token = "tok-alice", Resource = "files/report.pdf", Action = Action.Read }.ToByteArray();
        var request = AuthorizeRequest.Parser.ParseFrom(requestBytes);
        if (request.Token != "tok-alice")
        {
            throw new InvalidOperationException("unreachable: the token is fixed");
        }

        var context = PluginContext.Current;
        var reason = string.Join(';', $"transfer={context?.TransferId}", $"user={context?.UserId}", $"request={context?.RequestId}", "traceparent=", "deadline=set", "config=");
        var responseBytes = new AuthorizeResponse { Allowed = request.Action == Action.Read, User = new User { Id = "u-1" }, Reason = reason }.ToByteArray();
        return AuthorizeResponse.Parser.ParseFrom(responseBytes).Allowed ? Task.CompletedTask : throw new InvalidOperationException("unreachable");
    }
}
