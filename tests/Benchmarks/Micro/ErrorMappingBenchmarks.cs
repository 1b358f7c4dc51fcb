using BenchmarkDotNet.Attributes;
using Grpc.Core;

namespace GrpcPlugins.Benchmarks.Micro;

/// <summary>What a typed error costs on each side: the plugin builds the wire status, the host reads it back.</summary>
[MemoryDiagnoser]
public class ErrorMappingBenchmarks
{
    private readonly PluginException _error = new(PluginErrorCode.NotFound, "No stored item has id 'abc'.")
    {
        Cause = "missing from the index",
        Metadata = new Dictionary<string, string> { ["id"] = "abc" },
    };

    private RpcException _wire = null!;
    private readonly RpcException _bare = new(new Status(StatusCode.Unavailable, "connection refused"));

    [GlobalSetup]
    public void Setup() => _wire = PluginErrors.ToRpcException(_error);

    /// <summary>Plugin side: PluginException to an RpcException carrying google.rpc.Status with the PluginError detail.</summary>
    [Benchmark]
    public RpcException ToRpcException() => PluginErrors.ToRpcException(_error);

    /// <summary>Host side: the detail read back into a PluginException.</summary>
    [Benchmark]
    public PluginException FromRpcException() => PluginErrors.FromRpcException(_wire, "files");

    /// <summary>Host side: a status without detail, such as a dead plugin's.</summary>
    [Benchmark]
    public PluginException FromBareStatus() => PluginErrors.FromRpcException(_bare, "files");
}
