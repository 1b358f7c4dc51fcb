using Grpc.Core;
using GrpcPlugins.GoPlugin;
using Microsoft.Extensions.Hosting;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>
/// Serves HashiCorp go-plugin's <c>plugin.GRPCStdio</c>: while a host streams it, the lines the plugin writes to
/// <see cref="Console.Out"/> go to that host (which mirrors them) instead of to stderr. Logs stay on stderr, as go-plugin's do.
/// </summary>
internal sealed class GoPluginStdio(StdioForwarder forwarder, IHostApplicationLifetime lifetime) : GRPCStdio.GRPCStdioBase
{
    public override async Task StreamStdio(Google.Protobuf.WellKnownTypes.Empty request, IServerStreamWriter<StdioData> responseStream, ServerCallContext context)
    {
        // The stream ends when the plugin starts to stop, so that it does not hold the shutdown up.
        using var streaming = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var lines = forwarder.Subscribe(streaming.Token);
        try
        {
            await foreach (var data in lines.ReadAllAsync(streaming.Token).ConfigureAwait(false))
            {
                await responseStream.WriteAsync(data, streaming.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (streaming.IsCancellationRequested)
        {
            // The host stopped streaming, or the plugin is stopping.
        }
    }
}
