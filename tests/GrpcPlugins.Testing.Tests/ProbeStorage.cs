using Grpc.Core;
using GrpcPlugins.Sdk;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.Testing.Tests;

/// <summary>What the probe saw: its Init settings, the cancellation of a call, and Shutdown.</summary>
public sealed class ProbeRecord
{
    public IReadOnlyDictionary<string, string>? Config { get; set; }

    public TaskCompletionSource CallCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource CallStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool ShutDown { get; set; }
}

/// <summary>
/// A storage service that shows what reached it: Stat("config:key") answers the Init setting, Stat("user") the call's
/// user, Stat("missing") throws a typed PluginException, Stat("wait") waits until the call is cancelled.
/// </summary>
public sealed class ProbeStorage(ProbeRecord record) : StorageService.StorageServiceBase, IPluginLifecycle
{
    public Task InitAsync(IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        if (config.ContainsKey("refuse"))
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, "The 'refuse' setting is set: remove it.");
        }

        record.Config = config;
        return Task.CompletedTask;
    }

    public Task ShutdownAsync(CancellationToken cancellationToken)
    {
        record.ShutDown = true;
        return Task.CompletedTask;
    }

    public override async Task<StatResponse> Stat(StatRequest request, ServerCallContext context)
    {
        switch (request.Id)
        {
            case "missing":
                throw new PluginException(PluginErrorCode.NotFound, "No object 'missing': store it first.");
            case "user":
                return Answer(context.GetPluginContext().UserId ?? "(none)");
            case "wait":
                record.CallStarted.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, context.GetPluginContext().CancellationToken);
                }
                catch (OperationCanceledException)
                {
                    record.CallCancelled.TrySetResult();
                    throw;
                }

                return Answer("not cancelled");
            default:
                var key = request.Id.StartsWith("config:", StringComparison.Ordinal) ? request.Id["config:".Length..] : request.Id;
                return Answer(record.Config is not null && record.Config.TryGetValue(key, out var value) ? value : "(unset)");
        }
    }

    private static StatResponse Answer(string name) => new() { Metadata = new ObjectMetadata { Name = name } };
}
