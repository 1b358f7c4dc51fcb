using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Sdk.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace GrpcPlugins.Sdk;

/// <summary>
/// Runs a plugin process: checks that a host started it, listens on a private Unix socket (or TCP on
/// 127.0.0.1), prints the handshake line, serves health, lifecycle and the plugin's own service, and
/// exits on Shutdown, SIGTERM or when the host goes away. With <c>GRPCPLUGINS_LISTEN</c> set it runs as its own
/// service instead, for hosts that attach to it remotely: on that TCP address with mutual TLS, until SIGTERM.
/// </summary>
public static class PluginServer
{
    /// <summary>
    /// Serves the plugin until the host stops it. This is a plugin's whole Main:
    /// <c>await PluginServer.RunAsync(args, p =&gt; p.AddStorage&lt;MyStorage&gt;());</c>.
    /// When a person runs the plugin by hand, it prints why it cannot run and sets a non-zero exit code.
    /// </summary>
    /// <param name="args">The process's command-line arguments, passed to the configuration.</param>
    /// <param name="configure">Adds the plugin's service and, optionally, its metadata and dependencies.</param>
    /// <param name="cancellationToken">Stops the plugin, as Shutdown would.</param>
    /// <returns>The process exit code, also set as <see cref="Environment.ExitCode"/>: 0 after a clean stop.</returns>
    public static async Task<int> RunAsync(string[] args, Action<PluginBuilder> configure, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(configure);

        // Only the handshake may reach stdout: a host reads it line by line. Everything else, even an author's Console.WriteLine, goes to stderr.
        var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        var stdio = new StdioForwarder(Console.Error);
        Console.SetOut(stdio);

        // The plugin's own folder is its content root: the host's working folder, and any appsettings.json there, belong to the host.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var plugin = new PluginBuilder(builder.Services);
        configure(plugin);
        _ = plugin.ServiceTypes;

        // GRPCPLUGINS_LISTEN: the plugin runs as its own service, for hosts that attach to it remotely, not started by one.
        using var standalone = StandaloneListen.Read(Environment.GetEnvironmentVariable, out var error);
        var environment = error.Length > 0 ? null
            : standalone is not null ? PluginEnvironment.Standalone(plugin.Metadata.ApiVersions)
            : PluginEnvironment.Read(Environment.GetEnvironmentVariable, plugin.Metadata.ApiVersions, plugin.Cookies, out error);
        if (environment is null)
        {
            await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
            return Environment.ExitCode = 1;
        }

        if (!ParentDeathSignal.Arm(Environment.GetEnvironmentVariable(PluginProtocol.HostPidVariable)))
        {
            await Console.Error.WriteLineAsync("The host that started this plugin has already exited; there is no one to serve.").ConfigureAwait(false);
            return Environment.ExitCode = 0;
        }

        using var socketFolder = environment.UseUnixSocket ? SocketFolder.Create(environment.SocketBaseDir) : null;
        using var serverCertificate = environment.ClientCertificate is null ? null : PluginCertificates.Create("grpcplugins-plugin");
        builder.Services.AddSingleton(stdio);
        var app = Build(builder, plugin, environment, socketFolder, serverCertificate, standalone: standalone);
        if (standalone is not null)
        {
            standalone.Logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("GrpcPlugins.Sdk.Standalone");
        }

        if (!environment.InitRequired && !plugin.RequireInit)
        {
            // A go-plugin host never calls Init; only a GrpcPlugins host (which always does) makes it a precondition.
            app.Services.GetRequiredService<InitializationState>().MarkInitialized();
        }

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (app.Lifetime.ApplicationStopping.IsCancellationRequested || cancellationToken.IsCancellationRequested)
        {
            // Told to stop while starting (stdin was already closed, or SIGTERM came early): there is no host to serve.
            await app.DisposeAsync().ConfigureAwait(false);
            return Environment.ExitCode = 0;
        }

        var handshake = Handshake(app, environment, socketFolder, serverCertificate, standalone);
        socketFolder?.RestrictSocket();
        await stdout.WriteLineAsync(handshake.ToString()).ConfigureAwait(false);

        // Logged after the handshake, so that the host dials while the first log line (and its JSON formatter) is written.
        SdkLog.Serving(app.Logger, plugin.Metadata.Name, plugin.Metadata.Version, plugin.Metadata.Type.ToString(), handshake.Network, handshake.Address, environment.AppVersion);

        using (cancellationToken.Register(app.Lifetime.StopApplication))
        {
            await app.WaitForShutdownAsync(CancellationToken.None).ConfigureAwait(false);
        }

        await app.DisposeAsync().ConfigureAwait(false);
        return Environment.ExitCode = 0;
    }

    /// <summary>
    /// Builds the plugin exactly as <see cref="RunAsync"/> does (the same services, interceptors, health and lifecycle),
    /// listening on a Unix socket in a new private folder under <paramref name="socketBaseDirectory"/>, without reading
    /// the environment or writing a handshake: GrpcPlugins.Testing's PluginTestServer runs it inside a test process.
    /// </summary>
    internal static (WebApplication App, string SocketPath, IDisposable SocketFolder) BuildInProcess(
        string[] args, Action<PluginBuilder> configure, string socketBaseDirectory, Action<ILoggingBuilder>? logging)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var plugin = new PluginBuilder(builder.Services);
        configure(plugin);
        _ = plugin.ServiceTypes;

        // The environment a GrpcPlugins host gives (its cookie, so Init comes first; a Unix socket; no TLS, no stdin
        // watch), read by the same rules as a real start.
        var environment = PluginEnvironment.Read(
            name => name switch
            {
                PluginProtocol.MagicCookieKey => PluginProtocol.MagicCookieValue,
                PluginProtocol.UnixSocketDirVariable => socketBaseDirectory,
                _ => null,
            },
            plugin.Metadata.ApiVersions,
            out var error) ?? throw new InvalidOperationException(error);
        var socketFolder = SocketFolder.Create(socketBaseDirectory);
        try
        {
            builder.Services.AddSingleton(new StdioForwarder(Console.Error));
            var app = Build(builder, plugin, environment, socketFolder, null, logging);
            return (app, socketFolder.SocketPath, socketFolder);
        }
        catch
        {
            socketFolder.Dispose();
            throw;
        }
    }

    private static WebApplication Build(
        WebApplicationBuilder builder, PluginBuilder plugin, PluginEnvironment environment, SocketFolder? socketFolder, X509Certificate2? serverCertificate,
        Action<ILoggingBuilder>? logging = null, StandaloneListen? standalone = null)
    {
        builder.Logging.ClearProviders();
        if (logging is not null)
        {
            logging(builder.Logging);
        }
        else if (environment.InitRequired)
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.TimestampFormat = "O";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            // A go-plugin host (its own cookie) parses hclog's JSON, and logs any other line at DEBUG.
            // Registered as the console provider takes its formatters, without AddConsoleFormatter's options binding (not AOT-safe).
            builder.Logging.AddConsole(o => o.FormatterName = HclogFormatter.Name);
            builder.Services.AddSingleton<ConsoleFormatter, HclogFormatter>();
        }

        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = plugin.ShutdownTimeout);
        TelemetrySetup.Configure(builder, plugin);

        // 64 KiB socket reads instead of Kestrel's 4 KiB: half the plugin's CPU per GiB streamed (tests/Benchmarks/TUNING.md).
        builder.Services.AddSingleton<IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            void Configure(ListenOptions listen)
            {
                listen.Protocols = HttpProtocols.Http2;
                if (serverCertificate is not null)
                {
                    listen.UseHttps(AutoMtls(serverCertificate, environment.ClientCertificate!));
                }
            }

            if (standalone is not null)
            {
                kestrel.Listen(standalone.EndPoint, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    if (standalone.Certificate is not null)
                    {
                        listen.UseHttps(standalone.Https());
                    }
                });
            }
            else if (socketFolder is not null)
            {
                kestrel.ListenUnixSocket(socketFolder.SocketPath, Configure);
            }
            else
            {
                kestrel.Listen(IPAddress.Loopback, FreePort(environment), Configure);
            }
        });

        builder.Services.AddSingleton(plugin);
        builder.Services.AddSingleton<InitializationState>();
        builder.Services.AddSingleton<IHostCallbacks>(_ => new HostCallbacksConnection(serverCertificate));
        var dataChannelPath = socketFolder is not null && serverCertificate is null && plugin.Metadata.Type == PluginType.Storage ? socketFolder.DataSocketPath : null;
        builder.Services.AddSingleton(services => new DataChannelListener(dataChannelPath, services.GetRequiredService<ILogger<DataChannelListener>>()));
        builder.Services.AddHostedService(services => services.GetRequiredService<DataChannelListener>());
        builder.Services.AddSingleton(ServingHealth());
        if (environment.WatchStdin)
        {
            builder.Services.AddHostedService<StdinWatcher>();
        }

        // Services and interceptors that DI holds need no activator: gRPC would otherwise compile a factory (an
        // expression tree) for each type on its first call, and make a new interceptor per call.
        builder.Services.AddSingleton<LifecycleService>();
        builder.Services.AddSingleton<GoPluginController>();
        builder.Services.AddSingleton<GoPluginStdio>();
        builder.Services.AddSingleton<GoPluginBroker>();
        builder.Services.AddSingleton<IPluginBroker>(services => services.GetRequiredService<GoPluginBroker>());
        builder.Services.AddSingleton<GoPluginBroker.Service>();
        builder.Services.AddSingleton<TelemetryInterceptor>();
        builder.Services.AddSingleton<ErrorInterceptor>();
        builder.Services.AddSingleton<DataChannelInterceptor>();
        builder.Services.AddGrpc(o =>
        {
            // Outermost first: the span and duration see the status ErrorInterceptor gives the host.
            o.Interceptors.Add<TelemetryInterceptor>();
            o.Interceptors.Add<ErrorInterceptor>();
            o.Interceptors.Add<DataChannelInterceptor>();
            o.MaxReceiveMessageSize = plugin.MaxMessageSize;
            o.MaxSendMessageSize = plugin.MaxMessageSize;
        });

        var app = builder.Build();
        app.MapGrpcService<HealthServiceImpl>();
        app.MapGrpcService<LifecycleService>();
        app.MapGrpcService<GoPluginController>();
        app.MapGrpcService<GoPluginStdio>();
        app.MapGrpcService<GoPluginBroker.Service>();
        plugin.MapService(app);
        return app;
    }

    // AutoMTLS: TLS 1.2 or later with our ephemeral certificate, and only the host's exact certificate is let in.
    private static HttpsConnectionAdapterOptions AutoMtls(X509Certificate2 serverCertificate, X509Certificate2 hostCertificate) => new()
    {
        ServerCertificate = serverCertificate,
        SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        ClientCertificateMode = ClientCertificateMode.RequireCertificate,
        CheckCertificateRevocation = false,
        ClientCertificateValidation = (presented, _, _) => PluginCertificates.Matches(presented, hostCertificate),
    };

    private static HealthServiceImpl ServingHealth()
    {
        var health = new HealthServiceImpl();
        health.SetStatus(string.Empty, HealthCheckResponse.Types.ServingStatus.Serving);
        health.SetStatus(PluginProtocol.HealthServiceName, HealthCheckResponse.Types.ServingStatus.Serving);
        return health;
    }

    private static HandshakeLine Handshake(WebApplication app, PluginEnvironment environment, SocketFolder? socketFolder, X509Certificate2? serverCertificate, StandaloneListen? standalone)
    {
        string network;
        string address;
        if (standalone is not null)
        {
            // Printed for the operator's scripts (the port, when 0 chose it); no host reads it.
            network = HandshakeLine.TcpNetwork;
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            address = new Uri(bound).Authority;
        }
        else if (socketFolder is not null)
        {
            network = HandshakeLine.UnixNetwork;
            address = socketFolder.SocketPath;
        }
        else
        {
            network = HandshakeLine.TcpNetwork;
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            address = $"127.0.0.1:{new Uri(bound).Port}";
        }

        var certificate = serverCertificate is null ? string.Empty : PluginCertificates.ToHandshakeField(serverCertificate);
        return new HandshakeLine(PluginProtocol.CoreProtocolVersion, environment.AppVersion, network, address, HandshakeLine.GrpcProtocol, certificate);
    }

    // Port 0 lets the system choose; a range from the host is searched for a free port.
    private static int FreePort(PluginEnvironment environment)
    {
        if (environment.MinPort == 0)
        {
            return 0;
        }

        for (var port = environment.MinPort; port <= environment.MaxPort; port++)
        {
            try
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
            }
        }

        throw new InvalidOperationException(
            $"No free TCP port between {environment.MinPort} and {environment.MaxPort} ({PluginProtocol.MinPortVariable}/{PluginProtocol.MaxPortVariable}); widen the range.");
    }
}
