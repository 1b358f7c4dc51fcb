using Grpc.Core;
using GrpcPlugins.Monitor.V1;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Protocol.V1;

namespace GrpcPlugins.Hosting.Internal;

internal sealed class MonitorPluginClient(PluginClient plugin) : IMonitorPlugin
{
    private static MonitorService.MonitorServiceClient Client(CallInvoker invoker) => new(invoker);

    public Task TransferStartedAsync(Transfer transfer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        return plugin.CallAsync(async (invoker, ct) => await Client(invoker).TransferStartedAsync(new TransferStartedRequest { Transfer = transfer }, cancellationToken: ct), cancellationToken);
    }

    public Task TransferProgressAsync(Transfer transfer, double progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        return plugin.CallAsync(async (invoker, ct) => await Client(invoker).TransferProgressAsync(new TransferProgressRequest { Transfer = transfer, Progress = progress }, cancellationToken: ct), cancellationToken);
    }

    public Task TransferCompletedAsync(Transfer transfer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        return plugin.CallAsync(async (invoker, ct) => await Client(invoker).TransferCompletedAsync(new TransferCompletedRequest { Transfer = transfer }, cancellationToken: ct), cancellationToken);
    }

    public Task TransferFailedAsync(Transfer transfer, PluginError error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        ArgumentNullException.ThrowIfNull(error);
        return plugin.CallAsync(async (invoker, ct) => await Client(invoker).TransferFailedAsync(new TransferFailedRequest { Transfer = transfer, Error = error }, cancellationToken: ct), cancellationToken);
    }

    public Task RecordMetricAsync(string name, double value, IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var request = new RecordMetricRequest { Name = name, Value = value };
        foreach (var (key, tag) in tags ?? new Dictionary<string, string>())
        {
            request.Tags[key] = tag;
        }

        return plugin.CallAsync(async (invoker, ct) => await Client(invoker).RecordMetricAsync(request, cancellationToken: ct), cancellationToken);
    }
}
