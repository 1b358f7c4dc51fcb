using Grpc.Core;
using Grpc.Net.Client;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Protocol.V1;

namespace GrpcPlugins.Conformance.Internal;

/// <summary>The protocol contract: its lookups of unknown transfers answer NOT_FOUND.</summary>
internal sealed class ProtocolContractSuite(ConformanceOptions options, GrpcChannel channel, CallOptionsFactory calls) : ContractSuite(options, channel, calls)
{
    private readonly ProtocolService.ProtocolServiceClient client = new(channel);

    public override string ServiceName => ProtocolService.Descriptor.FullName;

    public override async Task CallBeforeInitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await StatusOfUnknownAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            // After Init, NOT_FOUND is the sensible answer: the call itself was accepted.
        }
    }

    protected override Func<CancellationToken, Task>? FailingCall => StatusOfUnknownAsync;

    protected override async Task RunContractAsync(CheckRunner runner, PluginMetadata? metadata)
    {
        await runner.RunAsync("protocol.status-unknown", "Fail Status of a transfer id the plugin never saw with NOT_FOUND.",
            ct => ExpectStatusAsync(() => StatusOfUnknownAsync(ct), "Status of an unknown transfer", StatusCode.NotFound)).ConfigureAwait(false);
        await runner.RunAsync("protocol.cancel-unknown", "Fail Cancel of a transfer id the plugin never saw with NOT_FOUND.",
            ct => ExpectStatusAsync(() => client.CancelAsync(new CancelRequest { Id = "conformance-" + Guid.NewGuid() }, Calls.Create(ct)).ResponseAsync, "Cancel of an unknown transfer", StatusCode.NotFound)).ConfigureAwait(false);
    }

    private Task StatusOfUnknownAsync(CancellationToken cancellationToken) =>
        client.StatusAsync(new StatusRequest { Id = "conformance-" + Guid.NewGuid() }, Calls.Create(cancellationToken)).ResponseAsync;
}
