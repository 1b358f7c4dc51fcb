using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.Hosting.Callbacks.Internal;

/// <summary>
/// Serves <c>grpcplugins.host.v1.HostCallbacksService</c> on a Unix socket in a private folder, and gives each plugin
/// launch the socket's address and a token of its own. Started on the first launch (or with the host), so plugins never
/// find it missing.
/// </summary>
internal sealed class HostCallbackServer : IPluginLaunchHook, IHostedService, IAsyncDisposable
{
    /// <summary>The metadata key of the launch token.</summary>
    public const string TokenHeader = PluginProtocol.HostCallbacksTokenHeader;

    /// <summary>The environment variable of the callbacks' Unix socket path.</summary>
    public const string AddressVariable = PluginProtocol.HostCallbacksAddressVariable;

    /// <summary>The environment variable of the launch token.</summary>
    public const string TokenVariable = PluginProtocol.HostCallbacksTokenVariable;

    private readonly ConcurrentDictionary<string, PluginOptions> _launches = new(StringComparer.Ordinal);
    private readonly HostCallbacksOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly IHostFileSource? _files;
    private readonly IHostEventSink? _events;
    private readonly Lock _gate = new();
    private WebApplication? _app;
    private string? _folder;

    public HostCallbackServer(IOptions<HostCallbacksOptions> options, ILoggerFactory loggerFactory, IHostFileSource? files = null, IHostEventSink? events = null)
    {
        _options = options.Value;
        _loggerFactory = loggerFactory;
        _files = files;
        _events = events;
        Store = new KeyValueStore(_options);
    }

    public KeyValueStore Store { get; }

    /// <summary>The Unix socket path; null until started.</summary>
    public string? SocketPath { get; private set; }

    /// <summary>The plugin a token was given to, or null for an unknown (or revoked) token.</summary>
    public PluginOptions? FindLaunch(string? token) =>
        token is not null && _launches.TryGetValue(token, out var plugin) ? plugin : null;

    public IDisposable OnLaunch(PluginOptions plugin, IDictionary<string, string?> environment)
    {
        EnsureStarted();
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        _launches[token] = plugin;
        environment[AddressVariable] = SocketPath;
        environment[TokenVariable] = token;
        return new Revocation(_launches, token);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        EnsureStarted();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        WebApplication? app;
        lock (_gate)
        {
            app = _app;
            _app = null;
        }

        if (app is not null)
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }

        Store.Dispose();
        if (_folder is not null)
        {
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private void EnsureStarted()
    {
        lock (_gate)
        {
            if (_app is not null)
            {
                return;
            }

            // A folder only this user can enter, so no other local user can even reach the socket; the token then tells
            // launches apart.
            var parent = _options.SocketDirectory ?? Path.GetTempPath();
            Directory.CreateDirectory(parent);
            _folder = Path.Combine(parent, "grpcplugins-host-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(_folder);
            }
            else
            {
                Directory.CreateDirectory(_folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            SocketPath = Path.Combine(_folder, "host.sock");
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(SocketPath, o => o.Protocols = HttpProtocols.Http2));
            builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = _options.MaxValueSize + (16 * 1024));
            builder.Services.AddSingleton(this);
            builder.Services.AddSingleton(_options);
            builder.Services.AddSingleton(_loggerFactory);
            if (_files is not null)
            {
                builder.Services.AddSingleton(_files);
            }

            if (_events is not null)
            {
                builder.Services.AddSingleton(_events);
            }

            var app = builder.Build();
            app.MapGrpcService<HostCallbacksGrpcService>();
            app.StartAsync().GetAwaiter().GetResult();
            _app = app;
            CallbacksLog.Listening(_loggerFactory.CreateLogger<HostCallbackServer>(), SocketPath);
        }
    }

    private sealed class Revocation(ConcurrentDictionary<string, PluginOptions> launches, string token) : IDisposable
    {
        public void Dispose() => launches.TryRemove(token, out _);
    }
}
