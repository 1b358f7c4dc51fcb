using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Grpc.Core;
using GrpcPlugins.Hosting;
using GrpcPlugins.Hosting.Internal;

namespace GrpcPlugins.Benchmarks.Micro;

/// <summary>What the host adds to every call: the plugin context and W3C trace context as metadata.</summary>
[MemoryDiagnoser]
public class ContextBenchmarks
{
    private static readonly ActivitySource Source = new("GrpcPlugins.Benchmarks");
    private ActivityListener? _listener;

    [GlobalSetup]
    public void Setup()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s == Source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    [GlobalCleanup]
    public void Cleanup() => _listener?.Dispose();

    /// <summary>A call made outside any transfer or trace: nothing to add.</summary>
    [Benchmark(Baseline = true)]
    public Metadata NoContext() => PluginCallInterceptor.ContextHeaders(null);

    /// <summary>A call inside a transfer: three context headers.</summary>
    [Benchmark]
    public Metadata PluginContextOnly()
    {
        using var scope = PluginContext.Begin(new PluginContext("t-1", "u-1", "r-1"));
        return PluginCallInterceptor.ContextHeaders(null);
    }

    /// <summary>A call inside a transfer and a sampled trace: three context headers and traceparent.</summary>
    [Benchmark]
    public Metadata PluginContextAndTrace()
    {
        using var activity = Source.StartActivity("call");
        using var scope = PluginContext.Begin(new PluginContext("t-1", "u-1", "r-1"));
        return PluginCallInterceptor.ContextHeaders(null);
    }
}
