using Grpc.Core;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.TestPlugin;

/// <summary>
/// <see cref="StatlessStorage"/> whose Stat refuses with the typed NotSupported error instead of UNIMPLEMENTED, as a plugin
/// that chooses not to offer Stat does. Run as mode "storage-stat-not-supported".
/// </summary>
internal sealed class NotSupportedStatStorage : StatlessStorage
{
    public override Task<StatResponse> Stat(StatRequest request, ServerCallContext context) =>
        throw new PluginException(PluginErrorCode.NotSupported, "This storage does not offer Stat; read the metadata from Retrieve.");
}
