using System.Collections.Concurrent;
using GrpcPlugins.Plugin.V1;

namespace GrpcPlugins.Hosting.Internal;

internal sealed class PluginRegistry : IPluginRegistry
{
    private readonly ConcurrentDictionary<string, PluginClient> _plugins = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<PluginClient> _order = [];

    public IReadOnlyList<PluginClient> Plugins
    {
        get
        {
            lock (_order)
            {
                return [.. _order];
            }
        }
    }

    public PluginClient Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _plugins.TryGetValue(name, out var plugin)
            ? plugin
            : throw new PluginException(PluginErrorCode.NotFound, $"No plugin named '{name}' is running. Configured and running: {string.Join(", ", _plugins.Keys.Order())}.")
            {
                Source = PluginErrorSource.Host,
                PluginName = name,
            };
    }

    public IReadOnlyList<PluginClient> OfType(PluginType type) => [.. Plugins.Where(p => p.Type == type)];

    public void Add(PluginClient plugin)
    {
        if (!_plugins.TryAdd(plugin.Name, plugin))
        {
            throw new InvalidOperationException($"A plugin named '{plugin.Name}' is already running.");
        }

        lock (_order)
        {
            _order.Add(plugin);
        }
    }

    public IReadOnlyList<PluginClient> RemoveAll()
    {
        lock (_order)
        {
            var all = _order.ToList();
            _order.Clear();
            _plugins.Clear();
            return all;
        }
    }
}
