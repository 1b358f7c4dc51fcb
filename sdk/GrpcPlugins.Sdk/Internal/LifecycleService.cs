using Grpc.Core;
using GrpcPlugins.Plugin.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>Serves PluginService: Init and Shutdown reach the author's <see cref="IPluginLifecycle"/>, GetMetadata answers from the builder.</summary>
internal sealed class LifecycleService(
    PluginBuilder plugin,
    InitializationState state,
    IServiceProvider services,
    IHostApplicationLifetime lifetime,
    DataChannelListener dataChannel,
    ILogger<LifecycleService> logger) : PluginService.PluginServiceBase
{
    // Each service that wants Init and Shutdown, once, in the order they were added.
    private IEnumerable<IPluginLifecycle> Lifecycles =>
        plugin.ServiceTypes.Select(services.GetRequiredService).OfType<IPluginLifecycle>().Distinct();

    public override async Task<InitResponse> Init(InitRequest request, ServerCallContext context)
    {
        // Settings bound and validated first, so a service's InitAsync reads settings that hold.
        plugin.InitSettings.Apply(request.Config, services);
        foreach (var lifecycle in Lifecycles)
        {
            await lifecycle.InitAsync(request.Config, context.CancellationToken).ConfigureAwait(false);
        }

        state.MarkInitialized();
        SdkLog.Initialized(logger, request.Config.Count);
        return new InitResponse();
    }

    public override async Task<ShutdownResponse> Shutdown(ShutdownRequest request, ServerCallContext context)
    {
        SdkLog.Stopping(logger, string.IsNullOrEmpty(request.Reason) ? "the host called Shutdown" : request.Reason);
        foreach (var lifecycle in Lifecycles)
        {
            await lifecycle.ShutdownAsync(context.CancellationToken).ConfigureAwait(false);
        }

        // Stop after this answer has gone out, so the host sees Shutdown succeed.
        context.GetHttpContext().Response.OnCompleted(() =>
        {
            lifetime.StopApplication();
            return Task.CompletedTask;
        });
        return new ShutdownResponse();
    }

    public override Task<GetMetadataResponse> GetMetadata(GetMetadataRequest request, ServerCallContext context)
    {
        var metadata = plugin.Metadata;
        if (dataChannel.Path is { } path)
        {
            metadata = metadata.Clone();
            metadata.DataChannel = path;
        }

        return Task.FromResult(new GetMetadataResponse { Metadata = metadata });
    }
}
