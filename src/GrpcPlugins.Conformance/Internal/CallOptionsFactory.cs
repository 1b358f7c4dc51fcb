using Grpc.Core;

namespace GrpcPlugins.Conformance.Internal;

/// <summary>Call options as a host sends them: a deadline and the context headers of a request.</summary>
internal sealed class CallOptionsFactory(TimeSpan timeout)
{
    /// <summary>The request id sent with every call, so a plugin's logs can be matched to the run.</summary>
    public string RequestId { get; } = "conformance-" + Guid.NewGuid().ToString("N")[..12];

    public CallOptions Create(CancellationToken cancellationToken, TimeSpan? deadline = null) =>
        new(new Metadata
        {
            { PluginProtocol.RequestIdHeader, RequestId },
            { PluginProtocol.UserIdHeader, "conformance" },
        }, DateTime.UtcNow + (deadline ?? timeout), cancellationToken);
}
