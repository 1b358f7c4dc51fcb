using Grpc.Core;
using Grpc.Net.Client;
using GrpcPlugins.GoPlugin;
using GrpcPlugins.Internal;
using Microsoft.Extensions.Hosting;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>
/// Serves HashiCorp go-plugin's <c>plugin.GRPCBroker</c>: a go-plugin host opens <c>StartStream</c> once at start and
/// announces on it what it serves with <c>broker.AcceptAndServe(id, ...)</c>; the plugin's services dial those ids
/// through <see cref="IPluginBroker"/> (this class, injected). Announcements are kept across streams, so a dial may
/// come before the host has opened its stream.
/// </summary>
internal sealed class GoPluginBroker : IPluginBroker
{
    private readonly Lock _lock = new();
    private readonly BrokerSession _session;
    private IServerStreamWriter<ConnInfo>? _stream;

    public GoPluginBroker()
    {
        _session = new BrokerSession(SendAsync, "host");
    }

    public uint NextId() => _session.NextId();

    public Task AcceptAsync(uint id, string unixSocketPath, CancellationToken cancellationToken = default) =>
        _session.AcceptAsync(id, unixSocketPath, cancellationToken);

    public Task<GrpcChannel> DialAsync(uint id, CancellationToken cancellationToken = default) =>
        _session.DialAsync(id, cancellationToken);

    /// <summary>Runs one broker stream the host opened, until the host ends it or the plugin stops.</summary>
    public async Task RunAsync(IAsyncStreamReader<ConnInfo> requests, IServerStreamWriter<ConnInfo> responses, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _stream = responses;
        }

        try
        {
            while (await requests.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                _session.Received(requests.Current);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException || ex is RpcException { StatusCode: StatusCode.Cancelled })
        {
            // The host went away, or the plugin is stopping.
        }
        finally
        {
            lock (_lock)
            {
                if (_stream == responses)
                {
                    _stream = null;
                }
            }
        }
    }

    private Task SendAsync(ConnInfo info, CancellationToken cancellationToken)
    {
        IServerStreamWriter<ConnInfo>? stream;
        lock (_lock)
        {
            stream = _stream;
        }

        return stream is null
            ? throw new PluginException(PluginErrorCode.Unavailable, $"The host has no go-plugin broker stream open, so broker id {info.ServiceId} cannot be announced. Only a go-plugin host (or a GrpcPlugins host in go-plugin mode) opens one.")
            : stream.WriteAsync(info, cancellationToken);
    }

    /// <summary>The gRPC face of <see cref="GoPluginBroker"/>.</summary>
    internal sealed class Service(GoPluginBroker broker, IHostApplicationLifetime lifetime) : GRPCBroker.GRPCBrokerBase
    {
        public override async Task StartStream(IAsyncStreamReader<ConnInfo> requestStream, IServerStreamWriter<ConnInfo> responseStream, ServerCallContext context)
        {
            // The stream ends when the plugin starts to stop, so that it does not hold the shutdown up.
            using var streaming = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
            await broker.RunAsync(requestStream, responseStream, streaming.Token).ConfigureAwait(false);
        }
    }
}
