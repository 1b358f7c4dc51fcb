using System.Collections.Concurrent;
using GrpcPlugins.Hosting;
using GrpcPlugins.Http.V1;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Route = GrpcPlugins.Http.V1.Route;

namespace GrpcPlugins.AspNetCore.Internal;

/// <summary>
/// The routes of every listed route plugin, as an immutable snapshot swapped when the set of plugin processes changes.
/// A stopped plugin keeps its last routes, so they answer 503 rather than 404 until it is removed.
/// </summary>
internal sealed class PluginRouteTable(
    IPluginRegistry registry,
    IServiceProvider services,
    IOptions<PluginHttpOptions> options,
    ILogger<PluginRouteTable> logger) : IPluginRouteTable
{
    internal static readonly string ServiceName = RouteService.Descriptor.FullName;
    private readonly ConcurrentDictionary<string, (int ProcessId, IReadOnlyList<Route>? Routes)> _described = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _rebuild = new(1, 1);
    private volatile Snapshot _current = new(string.Empty, [], []);

    /// <summary>The prefix the routes are mounted under, such as /v1/ext; set by MapPluginRoutes.</summary>
    public string Prefix { get; set; } = string.Empty;

    public async Task<IReadOnlyList<PluginRouteInfo>> GetRoutesAsync(CancellationToken cancellationToken = default) =>
        (await GetAsync(cancellationToken).ConfigureAwait(false)).Infos;

    public async Task<Snapshot> GetAsync(CancellationToken cancellationToken)
    {
        var plugins = registry.Plugins.Where(Serves).ToList();
        var key = KeyOf(plugins);
        var current = _current;
        if (current.Key == key)
        {
            return current;
        }

        await _rebuild.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            plugins = registry.Plugins.Where(Serves).ToList();
            key = KeyOf(plugins);
            if (_current.Key != key)
            {
                _current = await BuildAsync(key, plugins, cancellationToken).ConfigureAwait(false);
            }

            return _current;
        }
        finally
        {
            _rebuild.Release();
        }
    }

    private static bool IsUp(PluginClient plugin) => plugin.State is PluginState.Running or PluginState.Crashed;

    private bool Serves(PluginClient plugin) => plugin.Metadata.Services.Contains(ServiceName) || _described.ContainsKey(plugin.Name);

    private static string KeyOf(List<PluginClient> plugins) =>
        string.Join('|', plugins.Select(p => $"{p.Name}:{p.ProcessId}:{(p.State == PluginState.Running ? 1 : 0)}"));

    private async Task<Snapshot> BuildAsync(string key, List<PluginClient> listed, CancellationToken cancellationToken)
    {
        // Priority order for the running ones (the registry's), then the others in listing order.
        var serving = registry.Serving(ServiceName);
        var ordered = serving.Where(listed.Contains).Concat(listed.Where(p => !serving.Contains(p))).ToList();
        var hostRoutes = HostRoutes();
        var entries = new List<Entry>();
        var infos = new List<PluginRouteInfo>();
        var claimed = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var plugin in ordered)
        {
            var routes = await DescribeAsync(plugin, cancellationToken).ConfigureAwait(false);
            if (routes is null)
            {
                continue;
            }

            var count = 0;
            foreach (var route in routes)
            {
                var method = string.IsNullOrEmpty(route.Method) ? "*" : route.Method.ToUpperInvariant();
                var full = Combine(Prefix, route.PathTemplate);
                var refused = Check(route, method, full, hostRoutes, claimed, plugin.Name, out var template);
                infos.Add(new PluginRouteInfo(plugin.Name, method, full, Normalize(route.Gate), refused));
                if (refused is not null)
                {
                    HttpPluginLog.RouteRefused(logger, plugin.Name, method, full, refused);
                    continue;
                }

                claimed[method + " " + ShapeOf(full)] = plugin.Name;
                entries.Add(new Entry(plugin, route, method, new TemplateMatcher(template!, new RouteValueDictionary())));
                count++;
            }

            HttpPluginLog.Routed(logger, plugin.Name, count);
        }

        return new Snapshot(key, entries, infos);
    }

    private async Task<IReadOnlyList<Route>?> DescribeAsync(PluginClient plugin, CancellationToken cancellationToken)
    {
        var pid = plugin.ProcessId;
        if (_described.TryGetValue(plugin.Name, out var known) && (known.ProcessId == pid || plugin.State != PluginState.Running))
        {
            return known.Routes;
        }

        if (plugin.State != PluginState.Running)
        {
            return null;
        }

        IReadOnlyList<Route>? routes;
        try
        {
            var client = plugin.CreateClient<RouteService.RouteServiceClient>();
            var response = await client.GetRoutesAsync(
                new GetRoutesRequest(),
                deadline: DateTime.UtcNow + options.Value.DescribeTimeout,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            routes = response.Routes.ToList();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            HttpPluginLog.DescribeFailed(logger, plugin.Name, ex);
            routes = null;
        }

        _described[plugin.Name] = (pid, routes);
        return routes;
    }

    private static string? Check(Route route, string method, string full, List<(string Method, string Shape)> hostRoutes, Dictionary<string, string> claimed, string plugin, out RouteTemplate? template)
    {
        template = null;
        if (!route.PathTemplate.StartsWith('/'))
        {
            return $"the path template '{route.PathTemplate}' must start with '/'.";
        }

        try
        {
            template = TemplateParser.Parse(full.TrimStart('/'));
        }
        catch (ArgumentException ex)
        {
            return $"the path template is not a valid route template ({ex.Message}).";
        }

        var shape = ShapeOf(full);
        foreach (var host in hostRoutes)
        {
            if (host.Shape.Equals(shape, StringComparison.OrdinalIgnoreCase) && (host.Method == "*" || method == "*" || host.Method == method))
            {
                return $"it shadows the host's own route {host.Method} {full}; choose another path.";
            }
        }

        foreach (var (claim, owner) in claimed)
        {
            var parts = claim.Split(' ', 2);
            if (parts[1].Equals(shape, StringComparison.OrdinalIgnoreCase) && (parts[0] == "*" || method == "*" || parts[0] == method))
            {
                return owner == plugin
                    ? "the plugin declares it twice."
                    : $"it shadows plugin '{owner}''s route {parts[0]} {full}; one of the two must choose another path.";
            }
        }

        return null;
    }

    // Two templates have the same shape when they match the same paths: parameter names do not matter.
    private static string ShapeOf(string template)
    {
        var pattern = RoutePatternFactory.Parse(template);
        return "/" + string.Join('/', pattern.PathSegments.Select(s => string.Concat(s.Parts.Select(p => p switch
        {
            RoutePatternLiteralPart literal => literal.Content.ToLowerInvariant(),
            RoutePatternParameterPart parameter => parameter.IsCatchAll ? "{**}" : "{}",
            _ => "?",
        }))));
    }

    private List<(string Method, string Shape)> HostRoutes()
    {
        var result = new List<(string, string)>();
        if (services.GetService(typeof(EndpointDataSource)) is not EndpointDataSource source)
        {
            return result;
        }

        foreach (var endpoint in source.Endpoints.OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<PluginRoutesMarker>() is not null || endpoint.RoutePattern.RawText is null)
            {
                continue;
            }

            var shape = ShapeOf("/" + endpoint.RoutePattern.RawText.TrimStart('/'));
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
            if (methods is null || methods.Count == 0)
            {
                result.Add(("*", shape));
            }
            else
            {
                result.AddRange(methods.Select(m => (m.ToUpperInvariant(), shape)));
            }
        }

        return result;
    }

    private static string Combine(string prefix, string template) => "/" + (prefix.Trim('/') + "/" + template.TrimStart('/')).Trim('/');

    private static RouteGate Normalize(RouteGate gate) => gate == RouteGate.Unspecified ? RouteGate.Session : gate;

    internal sealed record Entry(PluginClient Plugin, Route Route, string Method, TemplateMatcher Matcher)
    {
        public RouteGate Gate => Normalize(Route.Gate);
    }

    internal sealed record Snapshot(string Key, IReadOnlyList<Entry> Entries, IReadOnlyList<PluginRouteInfo> Infos)
    {
        /// <summary>Finds the first route that matches; a path that matches only under other methods gives its methods.</summary>
        public Entry? Match(string method, PathString path, RouteValueDictionary values, out bool pathMatched)
        {
            pathMatched = false;
            foreach (var entry in Entries)
            {
                values.Clear();
                if (!entry.Matcher.TryMatch(path, values))
                {
                    continue;
                }

                pathMatched = true;
                if (entry.Method == "*" || string.Equals(entry.Method, method, StringComparison.OrdinalIgnoreCase)
                    || (entry.Method == "GET" && HttpMethods.IsHead(method)))
                {
                    return entry;
                }
            }

            values.Clear();
            return null;
        }
    }
}

/// <summary>Marks the catch-all endpoint of plugin routes, so it is not taken for a host route.</summary>
internal sealed class PluginRoutesMarker;
