using Grpc.Core;
using GrpcPlugins.GoPlugin;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>
/// Serves HashiCorp go-plugin's <c>plugin.GRPCController</c>: a go-plugin host's <c>Kill()</c> calls Shutdown, and the
/// plugin stops as on the lifecycle's Shutdown, so the host need not wait two seconds and kill it (leaving its socket folder).
/// </summary>
internal sealed class GoPluginController(IHostApplicationLifetime lifetime, ILogger<GoPluginController> logger) : GRPCController.GRPCControllerBase
{
    public override Task<Empty> Shutdown(Empty request, ServerCallContext context)
    {
        SdkLog.Stopping(logger, "the go-plugin host called GRPCController/Shutdown");

        // Stop after this answer has gone out, so the host sees Shutdown succeed.
        context.GetHttpContext().Response.OnCompleted(() =>
        {
            lifetime.StopApplication();
            return Task.CompletedTask;
        });
        return Task.FromResult(new Empty());
    }
}
