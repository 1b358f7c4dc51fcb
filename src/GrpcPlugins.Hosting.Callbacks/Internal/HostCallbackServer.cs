using System.Collections.Concurrent;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.Hosting.Callbacks.Internal;

/// <summary>
/// Serves <c>grpcplugins.host.v1.HostCallbacksService</c> on a Unix socket in a private folder, and gives each plugin
/// launch the socket's address and a token of its own. A launch under AutoMTLS gets a second socket of the same server
/// instead, which speaks TLS: the server presents its own ephemeral certificate (announced in
/// <see cref="PluginProtocol.HostCallbacksCertVariable"/>) and lets in only a client certificate that is the AutoMTLS
/// certificate of a live launch, pinned from its handshake (<see cref="IPluginHandshakeObserver"/>). Under a generic host it starts in <see cref="StartingAsync"/>,
/// which runs before any hosted service's StartAsync (so before the plugins' hosted service launches a plugin), in
/// whatever order the services were registered; a launch without a host (PluginClient.StartAsync alone) starts it then.
/// </summary>
/// <remarks>
/// The file source and event sink are resolved on the first call that needs them, never in the constructor: a file
/// source usually reads through the plugins (the storage plugin), and the plugins' options hold this server as a
/// launch hook, so resolving it eagerly is a dependency cycle that the container cannot see through factories: it
/// recursed on fresh threads and the host hung at start, with no error.
/// </remarks>
internal sealed class HostCallbackServer : IPluginLaunchHook, IHostedLifecycleService, IAsyncDisposable
{
    /// <summary>The metadata key of the launch token.</summary>
    public const string TokenHeader = PluginProtocol.HostCallbacksTokenHeader;

    /// <summary>The environment variable of the callbacks' Unix socket path.</summary>
    public const string AddressVariable = PluginProtocol.HostCallbacksAddressVariable;

    /// <summary>The environment variable of the launch token.</summary>
    public const string TokenVariable = PluginProtocol.HostCallbacksTokenVariable;

    /// <summary>The environment variable of the callbacks' certificate, set for AutoMTLS launches.</summary>
    public const string CertificateVariable = PluginProtocol.HostCallbacksCertVariable;

    // How long a TLS handshake waits for a launch's own handshake to be read, when a plugin dials back at once.
    private static readonly TimeSpan PinWait = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, CallbackLaunch> _launches = new(StringComparer.Ordinal);
    private readonly HostCallbacksOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly Lazy<IHostFileSource?> _files;
    private readonly Lazy<IHostEventSink?> _events;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private WebApplication? _app;
    private string? _folder;
    private X509Certificate2? _certificate;
    private string? _certificatePem;

    /// <summary>A server whose file source and event sink come from the application's services, on first use.</summary>
    public HostCallbackServer(IOptions<HostCallbacksOptions> options, ILoggerFactory loggerFactory, IServiceProvider services)
        : this(options, loggerFactory, () => services.GetService<IHostFileSource>(), () => services.GetService<IHostEventSink>())
    {
    }

    /// <summary>A server with a given file source and event sink (tests, hosts without a container).</summary>
    public HostCallbackServer(IOptions<HostCallbacksOptions> options, ILoggerFactory loggerFactory, IHostFileSource? files = null, IHostEventSink? events = null)
        : this(options, loggerFactory, () => files, () => events)
    {
    }

    private HostCallbackServer(IOptions<HostCallbacksOptions> options, ILoggerFactory loggerFactory, Func<IHostFileSource?> files, Func<IHostEventSink?> events)
    {
        _options = options.Value;
        _loggerFactory = loggerFactory;
        _files = new Lazy<IHostFileSource?>(files);
        _events = new Lazy<IHostEventSink?>(events);
        Store = new KeyValueStore(_options);
    }

    public KeyValueStore Store { get; }

    /// <summary>The application's file source; null when it registers none.</summary>
    public IHostFileSource? Files => _files.Value;

    /// <summary>The application's event sink; null when it registers none.</summary>
    public IHostEventSink? Events => _events.Value;

    /// <summary>The plaintext Unix socket path; null until started.</summary>
    public string? SocketPath { get; private set; }

    /// <summary>The TLS Unix socket path, for AutoMTLS launches; null until started.</summary>
    public string? TlsSocketPath { get; private set; }

    /// <summary>The launch a token was given to, or null for an unknown (or revoked) token.</summary>
    public CallbackLaunch? FindLaunch(string? token) =>
        token is not null && _launches.TryGetValue(token, out var launch) ? launch : null;

    public IDisposable OnLaunch(PluginOptions plugin, IDictionary<string, string?> environment)
    {
        if (_app is null)
        {
            // Only without a generic host (StartingAsync already ran under one). No synchronization context is
            // involved here, and the start needs nothing the caller holds.
            StartCoreAsync(CancellationToken.None).GetAwaiter().GetResult();
        }

        // The Hosting library sets the AutoMTLS client certificate before it runs the launch hooks.
        var tls = environment.TryGetValue(PluginProtocol.ClientCertVariable, out var clientCertificate) && !string.IsNullOrEmpty(clientCertificate);
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var launch = new CallbackLaunch(_launches, token, plugin, tls);
        _launches[token] = launch;
        environment[AddressVariable] = tls ? TlsSocketPath : SocketPath;
        environment[TokenVariable] = token;
        if (tls)
        {
            environment[CertificateVariable] = _certificatePem;
        }
        else
        {
            environment.Remove(CertificateVariable);
        }

        return launch;
    }

    /// <summary>
    /// The TLS socket's check of a client certificate: it must be the pinned AutoMTLS certificate of a live launch. A
    /// plugin that dials back as soon as it printed its handshake may be faster than the host reading it, so while a
    /// launch still awaits its handshake the check waits for it, within <see cref="PinWait"/>.
    /// </summary>
    private bool IsLaunchCertificate(X509Certificate2 presented)
    {
        var deadline = DateTime.UtcNow + PinWait;
        while (true)
        {
            var launches = _launches.Values;
            if (launches.Any(l => l.Matches(presented)))
            {
                return true;
            }

            if (!launches.Any(l => l.AwaitsCertificate) || DateTime.UtcNow >= deadline)
            {
                CallbacksLog.CertificateRefused(_loggerFactory.CreateLogger<HostCallbackServer>(), presented.Subject);
                return false;
            }

            Thread.Sleep(50);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => StartCoreAsync(cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => StartCoreAsync(cancellationToken);

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // Plugins may still call back while the plugins' hosted service stops them; the server stops when disposed.
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        WebApplication? app;
        try
        {
            app = _app;
            _app = null;
        }
        finally
        {
            _gate.Release();
        }

        if (app is not null)
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }

        Store.Dispose();
        _certificate?.Dispose();
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

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
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
            TlsSocketPath = Path.Combine(_folder, "host-tls.sock");

            // One ephemeral certificate for the server's life: AutoMTLS launches pin it from their environment.
            _certificate = PluginCertificates.Create("grpcplugins-host-callbacks");
            _certificatePem = PluginCertificates.ToPem(_certificate);
            var https = new HttpsConnectionAdapterOptions
            {
                ServerCertificate = _certificate,
                SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                CheckCertificateRevocation = false,
                ClientCertificateValidation = (presented, _, _) => IsLaunchCertificate(presented),
            };
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.ListenUnixSocket(SocketPath, o => o.Protocols = HttpProtocols.Http2);
                k.ListenUnixSocket(TlsSocketPath, o =>
                {
                    o.Protocols = HttpProtocols.Http2;
                    o.UseHttps(https);
                });
            });
            builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = _options.MaxValueSize + (16 * 1024));
            builder.Services.AddSingleton(this);
            builder.Services.AddSingleton(_options);
            builder.Services.AddSingleton(_loggerFactory);
            var app = builder.Build();
            app.MapGrpcService<HostCallbacksGrpcService>();
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            _app = app;
            CallbacksLog.Listening(_loggerFactory.CreateLogger<HostCallbackServer>(), SocketPath);
        }
        finally
        {
            _gate.Release();
        }
    }
}
