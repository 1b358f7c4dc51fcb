using System.Runtime.CompilerServices;
using Grpc.Core;
using GrpcPlugins.Protocol.V1;

namespace GrpcPlugins.Hosting.Internal;

internal sealed class ProtocolPluginClient(PluginClient plugin) : IProtocolPlugin
{
    private static ProtocolService.ProtocolServiceClient Client(CallInvoker invoker) => new(invoker);

    public Task<Transfer> SendAsync(SendRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return plugin.CallAsync(async (invoker, ct) => Require((await Client(invoker).SendAsync(request, cancellationToken: ct)).Transfer, "Send"), cancellationToken);
    }

    public Task<Transfer> ReceiveAsync(ReceiveRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return plugin.CallAsync(async (invoker, ct) => Require((await Client(invoker).ReceiveAsync(request, cancellationToken: ct)).Transfer, "Receive"), cancellationToken);
    }

    public Task<Transfer> StatusAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return plugin.CallAsync(async (invoker, ct) => Require((await Client(invoker).StatusAsync(new StatusRequest { Id = id }, cancellationToken: ct)).Transfer, "Status"), cancellationToken, "Status");
    }

    public Task<Transfer> CancelAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return plugin.CallAsync(async (invoker, ct) => Require((await Client(invoker).CancelAsync(new CancelRequest { Id = id }, cancellationToken: ct)).Transfer, "Cancel"), cancellationToken);
    }

    public Task<Transfer> ResumeAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return ResumeAsync(new ResumeRequest { Id = id }, cancellationToken);
    }

    public Task<Transfer> ResumeAsync(ResumeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return plugin.CallAsync(async (invoker, ct) => Require((await Client(invoker).ResumeAsync(request, cancellationToken: ct)).Transfer, "Resume"), cancellationToken);
    }

    public async IAsyncEnumerable<Transfer> WatchTransferAsync(string id, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        // A watch lasts as long as the transfer, so it takes no bulkhead slot.
        var instance = plugin.RunningInstance();
        using var call = Client(instance.Invoker).WatchTransfer(new WatchTransferRequest { Id = id }, cancellationToken: cancellationToken);
        while (true)
        {
            bool more;
            try
            {
                more = await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RpcException or ObjectDisposedException)
            {
                throw await instance.TranslateStreamFailureAsync(ex).ConfigureAwait(false);
            }

            if (!more)
            {
                yield break;
            }

            yield return Require(call.ResponseStream.Current.Transfer, "WatchTransfer");
        }
    }

    private Transfer Require(Transfer? transfer, string method) =>
        transfer ?? throw PluginReplies.Broken(plugin.Name, $"answered {method} without a transfer.");
}
