using System.Globalization;
using GrpcPlugins.Hosting;
using GrpcPlugins.Management.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.Management.Metrics;

/// <summary>
/// <c>GET {name}/activity?seconds=120</c>: what the detail view of one plugin shows besides its list entry: calls per
/// second, errors and p50/p99 latency per method, restarts and state changes, the tail of its standard error, and
/// the contracts and host callbacks it is allowed.
/// </summary>
internal static class ActivityEndpoints
{
    public static IResult Get(string name, HttpContext http, PluginManager plugins, PluginActivityRecorder recorder, IPluginRegistry registry, IOptions<GrpcPluginsOptions> hostOptions)
    {
        var plugin = plugins.Get(name);
        var seconds = int.TryParse(http.Request.Query["seconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var asked) ? asked : 120;
        var activity = recorder.Snapshot(plugin.Name, TimeSpan.FromSeconds(seconds));
        var client = registry.Plugins.FirstOrDefault(p => string.Equals(p.Name, plugin.Name, StringComparison.OrdinalIgnoreCase));
        IReadOnlyList<string> services, grants;
        if (plugin.Source == "builtin" && hostOptions.Value.Plugins.TryGetValue(plugin.Name, out var options))
        {
            (services, grants) = (options.Services, options.HostCallbacks);
        }
        else
        {
            var manifest = plugins.Directory.Get(plugin.Name).Manifest;
            (services, grants) = ([.. manifest.Services], [.. manifest.CallbackGrants]);
        }

        return Results.Json(
            new
            {
                activity.Plugin,
                activity.Now,
                activity.Seconds,
                activity.Methods,
                activity.History,
                plugin.RestartCount,
                plugin.LastError,
                StderrTail = client?.StderrTail ?? string.Empty,
                Services = services,
                CallbackGrants = grants,
            },
            ManagementProblems.Json);
    }
}
