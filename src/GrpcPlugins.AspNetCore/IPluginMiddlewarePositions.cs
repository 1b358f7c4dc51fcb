using GrpcPlugins.Http.V1;

namespace GrpcPlugins.AspNetCore;

/// <summary>Where each middleware plugin runs, as it said once the host first ran its stage; for a dashboard.</summary>
public interface IPluginMiddlewarePositions
{
    /// <summary>The stage and priority of each middleware plugin the host has asked, by plugin name.</summary>
    IReadOnlyDictionary<string, GetMiddlewareResponse> Positions { get; }
}
