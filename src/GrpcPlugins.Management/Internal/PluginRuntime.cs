using GrpcPlugins.Hosting;

namespace GrpcPlugins.Management.Internal;

/// <summary>What the manager knows of a plugin beyond its client: its last error, how often it started, whether it is starting.</summary>
internal sealed class PluginRuntime
{
    public bool Starting { get; set; }

    public int Starts { get; set; }

    public string? LastError { get; set; }

    public PluginOptions? Options { get; set; }
}
