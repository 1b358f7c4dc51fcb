using GrpcPlugins.Http.V1;

namespace GrpcPlugins.AspNetCore.Internal;

internal sealed class MiddlewarePositions(PluginMiddlewareRunner runner) : IPluginMiddlewarePositions
{
    public IReadOnlyDictionary<string, GetMiddlewareResponse> Positions => runner.Positions;
}
