using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Hosting.Callbacks.Internal;

/// <summary>One gRPC service served for the go-plugin broker on a Unix socket in a folder only this user can enter.</summary>
internal sealed class BrokerServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _folder;

    private BrokerServer(WebApplication app, string folder, string socketPath)
    {
        _app = app;
        _folder = folder;
        SocketPath = socketPath;
    }

    public string SocketPath { get; }

    public static async Task<BrokerServer> StartAsync<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.NonPublicMethods)] TService>(
        Action<IServiceCollection>? configureServices, CancellationToken cancellationToken)
        where TService : class
    {
        var folder = Path.Combine(Path.GetTempPath(), "grpcplugins-broker-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var socketPath = Path.Combine(folder, "broker.sock");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(socketPath, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapGrpcService<TService>();
        var server = new BrokerServer(app, folder, socketPath);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
                // Already gone.
            }
        }
    }
}
