using GrpcPlugins.Plugin.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.Hosting.Internal;

internal sealed class PluginRegistry(IOptions<GrpcPluginsOptions>? hostOptions = null, ILoggerFactory? loggerFactory = null) : IPluginRegistry
{
    private readonly Lock _lock = new();
    private readonly List<PluginClient> _order = [];
    private readonly HashSet<string> _starting = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<PluginClient> Plugins
    {
        get
        {
            lock (_lock)
            {
                return [.. _order];
            }
        }
    }

    public PluginClient Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_lock)
        {
            return Find(name) ?? throw new PluginException(PluginErrorCode.NotFound, $"No plugin named '{name}' is running. Configured and running: {string.Join(", ", _order.Select(p => p.Name).Order())}.")
            {
                Source = PluginErrorSource.Host,
                PluginName = name,
            };
        }
    }

    // OrderBy is a stable sort, so equal priorities keep the order plugins were added in.
    public IReadOnlyList<PluginClient> OfType(PluginType type) =>
        [.. Plugins.Where(p => p.Type == type && p.State != PluginState.Stopped).OrderBy(p => p.Options.Priority)];

    public async Task<PluginClient> StartAsync(PluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (_lock)
        {
            if (_starting.Contains(options.Name) || Find(options.Name) is { State: not (PluginState.Stopped or PluginState.Crashed) })
            {
                throw new PluginException(PluginErrorCode.AlreadyExists, $"Plugin '{options.Name}' is running or starting already; stop it first.")
                {
                    Source = PluginErrorSource.Host,
                    PluginName = options.Name,
                };
            }

            _starting.Add(options.Name);
        }

        try
        {
            var client = await PluginClient.StartAsync(options, hostOptions?.Value, loggerFactory ?? NullLoggerFactory.Instance, cancellationToken).ConfigureAwait(false);
            PluginClient? old;
            lock (_lock)
            {
                old = Find(options.Name);
                var index = old is null ? -1 : _order.IndexOf(old);
                if (index >= 0)
                {
                    _order[index] = client;
                }
                else
                {
                    _order.Add(client);
                }
            }

            if (old is not null)
            {
                // A crashed client may still hold its channel and process handles.
                await old.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }

            return client;
        }
        finally
        {
            lock (_lock)
            {
                _starting.Remove(options.Name);
            }
        }
    }

    public Task StopAsync(string name, CancellationToken cancellationToken = default) => Get(name).StopAsync(cancellationToken);

    public async Task<bool> RemoveAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        PluginClient? plugin;
        lock (_lock)
        {
            plugin = Find(name);
            if (plugin is null)
            {
                return false;
            }

            _order.Remove(plugin);
        }

        await plugin.StopAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public void Add(PluginClient plugin)
    {
        lock (_lock)
        {
            if (Find(plugin.Name) is not null)
            {
                throw new InvalidOperationException($"A plugin named '{plugin.Name}' is already running.");
            }

            _order.Add(plugin);
        }
    }

    public IReadOnlyList<PluginClient> RemoveAll()
    {
        lock (_lock)
        {
            var all = _order.ToList();
            _order.Clear();
            return all;
        }
    }

    private PluginClient? Find(string name) => _order.Find(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
}
