using GrpcPlugins.Hosting.Internal;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace GrpcPlugins.Hosting;

/// <summary>
/// The names of the host's OpenTelemetry signals, and the calls that subscribe a provider to them:
/// <c>AddGrpcPluginsInstrumentation()</c> on a <see cref="TracerProviderBuilder"/> and a <see cref="MeterProviderBuilder"/>.
/// </summary>
public static class GrpcPluginsInstrumentation
{
    /// <summary>The name of the host's <c>ActivitySource</c> and <c>Meter</c>: "GrpcPlugins.Hosting".</summary>
    public const string SourceName = HostingTelemetry.Name;

    /// <summary>
    /// Subscribes to the host's client spans: one per plugin call, named <c>service/method</c>, with rpc.* attributes, the
    /// plugin's name and the call's transfer, user and request ids. A streaming call's span ends when its stream ends.
    /// </summary>
    /// <param name="builder">The tracer provider builder.</param>
    /// <returns>The builder.</returns>
    public static TracerProviderBuilder AddGrpcPluginsInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(SourceName);
    }

    /// <summary>
    /// Subscribes to the host's metrics: <c>grpcplugins.plugin.calls</c>, <c>grpcplugins.plugin.call.duration</c>,
    /// <c>grpcplugins.plugin.restarts</c> and <c>grpcplugins.plugin.state</c>.
    /// </summary>
    /// <param name="builder">The meter provider builder.</param>
    /// <returns>The builder.</returns>
    public static MeterProviderBuilder AddGrpcPluginsInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(SourceName);
    }
}
