using GrpcPlugins.Http.V1;

namespace GrpcPlugins.AspNetCore;

/// <summary>One route a plugin declared, as the host mounted or refused it.</summary>
/// <param name="Plugin">The plugin's name.</param>
/// <param name="Method">The HTTP method, or "*" for any.</param>
/// <param name="Path">The full path template, prefix included.</param>
/// <param name="Gate">Who may call it.</param>
/// <param name="RefusedReason">Why the host did not mount it, or null when it is routed.</param>
public sealed record PluginRouteInfo(string Plugin, string Method, string Path, RouteGate Gate, string? RefusedReason);
