using Grpc.Net.Client;
using GrpcPlugins.Monitor.V1;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Protocol.V1;

namespace GrpcPlugins.Conformance.Internal;

/// <summary>The monitor contract: every event of a transfer's life, and a metric, is accepted.</summary>
internal sealed class MonitorSuite(ConformanceOptions options, GrpcChannel channel, CallOptionsFactory calls) : ContractSuite(options, channel, calls)
{
    private readonly MonitorService.MonitorServiceClient client = new(channel);

    public override string ServiceName => MonitorService.Descriptor.FullName;

    public override Task CallBeforeInitAsync(CancellationToken cancellationToken) =>
        client.RecordMetricAsync(new RecordMetricRequest { Name = "conformance.probe", Value = 1 }, Calls.Create(cancellationToken)).ResponseAsync;

    protected override Func<CancellationToken, Task>? FailingCall => null;

    protected override Task RunContractAsync(CheckRunner runner, PluginMetadata? metadata) =>
        runner.RunAsync("monitor.events", "Accept TransferStarted, TransferProgress, TransferCompleted, TransferFailed and RecordMetric with success; a monitor never fails the host's work.",
            async ct =>
            {
                var transfer = new Transfer { Id = "conformance-" + Guid.NewGuid(), File = "conformance.bin", Status = TransferStatus.Active };
                await client.TransferStartedAsync(new TransferStartedRequest { Transfer = transfer }, Calls.Create(ct)).ConfigureAwait(false);
                await client.TransferProgressAsync(new TransferProgressRequest { Transfer = transfer, Progress = 0.5 }, Calls.Create(ct)).ConfigureAwait(false);
                await client.TransferCompletedAsync(new TransferCompletedRequest { Transfer = transfer }, Calls.Create(ct)).ConfigureAwait(false);
                await client.TransferFailedAsync(new TransferFailedRequest { Transfer = transfer, Error = new PluginError { Code = ErrorCode.Cancelled, Message = "conformance" } }, Calls.Create(ct)).ConfigureAwait(false);
                await client.RecordMetricAsync(new RecordMetricRequest { Name = "conformance.metric", Value = 42 }, Calls.Create(ct)).ConfigureAwait(false);
            });
}
