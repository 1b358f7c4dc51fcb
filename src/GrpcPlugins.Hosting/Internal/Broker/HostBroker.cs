using Grpc.Core;
using Grpc.Net.Client;
using GrpcPlugins.GoPlugin;
using GrpcPlugins.Internal;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// The host's end of go-plugin's broker for one launch of a go-plugin plugin: the host opens
/// <c>plugin.GRPCBroker/StartStream</c>, as go-plugin's own client does, and keeps it open as long as the process runs.
/// A plugin that does not serve the broker (Unimplemented) just has none; dials and announcements then say so.
/// When the launch got host callbacks, their socket is announced on <see cref="PluginProtocol.HostCallbacksBrokerId"/>.
/// </summary>
internal sealed class HostBroker : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly AsyncDuplexStreamingCall<ConnInfo, ConnInfo> _call;
    private readonly string _plugin;
    private readonly ILogger _logger;

    private HostBroker(GrpcChannel channel, string plugin, ILogger logger)
    {
        _plugin = plugin;
        _logger = logger;
        _call = new GRPCBroker.GRPCBrokerClient(channel).StartStream(cancellationToken: _stop.Token);
        Session = new BrokerSession((info, ct) => _call.RequestStream.WriteAsync(info, ct), $"plugin '{plugin}'");
    }

    public BrokerSession Session { get; }

    /// <summary>Opens the broker stream and, when the launch has host callbacks, announces them on their broker id.</summary>
    public static HostBroker Open(GrpcChannel channel, string plugin, IDictionary<string, string?> launchEnvironment, ILogger logger)
    {
        var broker = new HostBroker(channel, plugin, logger);
        _ = broker.ReceiveAsync();
        if (launchEnvironment.TryGetValue(PluginProtocol.HostCallbacksAddressVariable, out var callbacks) && !string.IsNullOrEmpty(callbacks))
        {
            _ = broker.AnnounceCallbacksAsync(callbacks);
        }

        return broker;
    }

    /// <summary>
    /// Adds the host callbacks' broker id to a go-plugin plugin's launch environment when a launch hook gave it host
    /// callbacks, so a Go plugin can dial them through its broker (a go-plugin plugin may not be able to dial a path itself).
    /// </summary>
    public static void OfferCallbacks(IDictionary<string, string?> launchEnvironment)
    {
        if (launchEnvironment.TryGetValue(PluginProtocol.HostCallbacksAddressVariable, out var callbacks) && !string.IsNullOrEmpty(callbacks))
        {
            launchEnvironment[PluginProtocol.HostCallbacksBrokerIdVariable] = PluginProtocol.HostCallbacksBrokerId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        Session.Close("the plugin was stopped");
        _call.Dispose();
    }

    private async Task AnnounceCallbacksAsync(string address)
    {
        try
        {
            await Session.AcceptAsync(PluginProtocol.HostCallbacksBrokerId, address, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PluginException or OperationCanceledException)
        {
            BrokerLog.CallbacksNotAnnounced(_logger, _plugin, ex.Message);
        }
    }

    private async Task ReceiveAsync()
    {
        try
        {
            await foreach (var info in _call.ResponseStream.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                Session.Received(info);
            }

            Session.Close("the plugin ended the broker stream");
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented)
        {
            BrokerLog.NoBroker(_logger, _plugin);
            Session.Close("the plugin does not serve plugin.GRPCBroker (a go-plugin plugin serves it; go-plugin 1.0 and later)");
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException or ObjectDisposedException)
        {
            Session.Close(_stop.IsCancellationRequested ? "the plugin was stopped" : $"the broker stream failed ({ex.Message})");
        }
    }
}
