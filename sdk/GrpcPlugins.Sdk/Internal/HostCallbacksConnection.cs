using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using GrpcPlugins.HostCallbacks.V1;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>The channel to the host callbacks named in this launch's environment; made on first use.</summary>
internal sealed class HostCallbacksConnection : IHostCallbacks, IDisposable
{
    private readonly string? _address;
    private readonly string? _token;
    private readonly Lazy<(GrpcChannel Channel, HostCallbacksService.HostCallbacksServiceClient Client)> _client;

    public HostCallbacksConnection()
        : this(Environment.GetEnvironmentVariable(PluginProtocol.HostCallbacksAddressVariable), Environment.GetEnvironmentVariable(PluginProtocol.HostCallbacksTokenVariable))
    {
    }

    public HostCallbacksConnection(string? address, string? token)
    {
        _address = string.IsNullOrEmpty(address) ? null : address;
        _token = token;
        _client = new(Connect, LazyThreadSafetyMode.ExecutionAndPublication);
        Files = new HostFiles(this);
        KeyValue = new HostKeyValue(this);
        Log = new HostLog(this);
    }

    public bool IsAvailable => _address is not null;

    public HostFiles Files { get; }

    public HostKeyValue KeyValue { get; }

    public HostLog Log { get; }

    /// <summary>The client, or a clear error when the host offers no callbacks.</summary>
    public HostCallbacksService.HostCallbacksServiceClient Client => _address is null
        ? throw new PluginException(
            PluginErrorCode.FailedPrecondition,
            $"The host offers no callbacks to this plugin ({PluginProtocol.HostCallbacksAddressVariable} is not set). Run it under a host that serves them (AddGrpcPluginsHostCallbacks) and grant it the callbacks it needs.")
        : _client.Value.Client;

    /// <summary>The call options of every callback: the launch token, and the caller's cancellation.</summary>
    public CallOptions Options(CancellationToken cancellationToken) =>
        new(headers: new Metadata { { PluginProtocol.HostCallbacksTokenHeader, _token ?? string.Empty } }, cancellationToken: cancellationToken);

    /// <summary>Runs a call, turning the host's refusal into a <see cref="PluginException"/> with its code.</summary>
    public async Task<T> CallAsync<T>(Func<HostCallbacksService.HostCallbacksServiceClient, CallOptions, AsyncUnaryCall<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call(Client, Options(cancellationToken)).ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw PluginErrors.FromRpcException(ex, "host");
        }
    }

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Channel.Dispose();
        }
    }

    private (GrpcChannel, HostCallbacksService.HostCallbacksServiceClient) Connect()
    {
        var path = _address!;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var channel = GrpcChannel.ForAddress("http://grpcplugins-host", new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 16 * 1024 * 1024 });
        return (channel, new HostCallbacksService.HostCallbacksServiceClient(channel));
    }
}
