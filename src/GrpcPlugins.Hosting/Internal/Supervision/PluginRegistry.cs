using System.Runtime.InteropServices;
using GrpcPlugins.Plugin.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// The host's list of plugins, and so the one list of its live plugins: the state gauge reads it from the moment the
/// registry is built until it is disposed with the host's services.
/// </summary>
internal sealed class PluginRegistry : IPluginRegistry, ILivePlugins, IDisposable
{
    private readonly IOptions<GrpcPluginsOptions>? _hostOptions;
    private readonly ILoggerFactory _loggerFactory;
    private readonly Lock _lock = new();
    private readonly List<PluginClient> _order = [];
    private readonly HashSet<string> _starting = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Starts> _starts = new(StringComparer.OrdinalIgnoreCase);

    public PluginRegistry(IOptions<GrpcPluginsOptions>? hostOptions = null, ILoggerFactory? loggerFactory = null)
    {
        _hostOptions = hostOptions;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        HostingTelemetry.Observe(this);
    }

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
            return Find(name) ?? throw PluginException.FromHost(PluginErrorCode.NotFound, $"No plugin named '{name}' is running. Configured and running: {string.Join(", ", _order.Select(p => p.Name).Order())}.", name);
        }
    }

    // OrderBy is a stable sort, so equal priorities keep the order plugins were added in.
    public IReadOnlyList<PluginClient> OfType(PluginType type) =>
        [.. Plugins.Where(p => p.Type == type && p.State != PluginState.Stopped).OrderBy(p => p.Options.Priority)];

    public IReadOnlyList<PluginClient> Serving(string serviceName)
    {
        ArgumentNullException.ThrowIfNull(serviceName);
        return [.. Plugins.Where(p => p.Serves(serviceName) && p.State != PluginState.Stopped).OrderBy(p => p.Options.Priority)];
    }

    public bool SetPriority(string name, int priority)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_lock)
        {
            var listed = Plugins.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
            if (listed is null)
            {
                return false;
            }

            listed.Options.Priority = priority;
            return true;
        }
    }

    public PluginStatus? GetStatus(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_lock)
        {
            var client = Find(name);
            _starts.TryGetValue(name, out var starts);
            if (client is null && starts is null)
            {
                return null;
            }

            var state = starts?.InProgress == true ? PluginState.Starting
                : client?.State ?? (starts?.LastFailure is null ? PluginState.Stopped : PluginState.Crashed);
            var processId = client?.State is PluginState.Running or PluginState.Starting or PluginState.Stopping && client.RemoteAddress is null ? client.ProcessId : (int?)null;

            // Starts after the first, then the restarts of the client listed now.
            var restarts = Math.Max(0, (starts?.Count ?? 1) - 1) + (client?.RestartCount ?? 0);
            return new PluginStatus(client?.Name ?? name, state, processId, restarts, starts?.LastFailure ?? client?.LastError);
        }
    }

    public async Task<PluginClient> StartAsync(PluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Starts starts;
        lock (_lock)
        {
            if (_starting.Contains(options.Name) || Find(options.Name) is { State: not (PluginState.Stopped or PluginState.Crashed) })
            {
                throw PluginException.FromHost(PluginErrorCode.AlreadyExists, $"Plugin '{options.Name}' is running or starting already; stop it first.", options.Name);
            }

            _starting.Add(options.Name);
            starts = StartsOf(options.Name);
            starts.InProgress = true;
        }

        try
        {
            var client = await PluginClient.LaunchAsync(options, _hostOptions?.Value, _loggerFactory, cancellationToken).ConfigureAwait(false);
            PluginClient? old;
            lock (_lock)
            {
                starts.LastFailure = null;
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
        catch (PluginException ex)
        {
            lock (_lock)
            {
                starts.LastFailure = ex.Message;
            }

            throw;
        }
        finally
        {
            lock (_lock)
            {
                starts.Count++;
                starts.InProgress = false;
                _starting.Remove(options.Name);
            }
        }
    }

    public async Task<PluginClient> ReplaceAsync(PluginOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        PluginClient old;
        lock (_lock)
        {
            old = Find(options.Name) ?? throw PluginException.FromHost(PluginErrorCode.NotFound, $"No plugin named '{options.Name}' is listed, so there is nothing to replace; start it instead.", options.Name);
            if (_starting.Contains(options.Name))
            {
                throw PluginException.FromHost(PluginErrorCode.AlreadyExists, $"Plugin '{options.Name}' is being started or replaced already; wait for that to finish.", options.Name);
            }

            if (old.Type != options.EffectiveType)
            {
                throw PluginException.FromHost(PluginErrorCode.FailedPrecondition, $"Plugin '{options.Name}' is a {PluginInstance.Describe(old.Type)} plugin, so its replacement must be one too, not {PluginInstance.Describe(options.EffectiveType)}. Remove it, then start the new one.", options.Name);
            }

            _starting.Add(options.Name);
        }

        try
        {
            var client = await PluginClient.LaunchAsync(options, _hostOptions?.Value, _loggerFactory, cancellationToken).ConfigureAwait(false);
            try
            {
                // Started means it answered health once and took Init; ask again so one that failed right after is not switched to.
                if (!await client.IsHealthyAsync(cancellationToken).ConfigureAwait(false))
                {
                    throw PluginException.FromHost(PluginErrorCode.Unavailable, $"The new instance of plugin '{options.Name}' (process {client.ProcessId}) started but then failed its health check{(client.Exited.IsCompleted ? $": it exited with code {client.Exited.Result}" : string.Empty)}. Last lines on stderr: {client.StderrTail}", options.Name);
                }

                lock (_lock)
                {
                    var index = _order.IndexOf(old);
                    if (index < 0)
                    {
                        throw PluginException.FromHost(PluginErrorCode.NotFound, $"Plugin '{options.Name}' was removed while its replacement started.", options.Name);
                    }

                    _order[index] = client;
                    old.HandOver(client);
                    StartsOf(options.Name).LastFailure = null;
                }
            }
            catch
            {
                await client.StopAsync(CancellationToken.None).ConfigureAwait(false);
                throw;
            }

            HostingLog.Replaced(Logger, options.Name, client.ProcessId, client.Metadata.Version);

            // Not cancellable: an abandoned request must not cut the old instance's calls in flight short.
            await old.RetireAsync(client).ConfigureAwait(false);
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
            // A plugin removed and started again starts with a clean history.
            _starts.Remove(name);
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
            StartsOf(plugin.Name).Count++;
        }
    }

    public IReadOnlyList<PluginClient> RemoveAll()
    {
        lock (_lock)
        {
            var all = _order.ToList();
            _order.Clear();
            _starts.Clear();
            return all;
        }
    }

    IEnumerable<PluginClient> ILivePlugins.Live => Plugins;

    public void Dispose() => HostingTelemetry.Forget(this);

    private ILogger Logger => _loggerFactory.CreateLogger("GrpcPlugins.Hosting.PluginRegistry");

    private PluginClient? Find(string name) => _order.Find(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    private Starts StartsOf(string name) => CollectionsMarshal.GetValueRefOrAddDefault(_starts, name, out _) ??= new Starts();

    /// <summary>What the registry knows of a name beyond its listed client; guarded by the registry's lock.</summary>
    private sealed class Starts
    {
        /// <summary>Starts through the registry, failed ones included, and the listing of one started with the host.</summary>
        public int Count { get; set; }

        /// <summary>Whether a start through <see cref="StartAsync"/> is under way.</summary>
        public bool InProgress { get; set; }

        /// <summary>Why the last start failed; null once one succeeds, or the plugin is replaced.</summary>
        public string? LastFailure { get; set; }
    }
}
