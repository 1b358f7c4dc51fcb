namespace GrpcPlugins.Sdk;

/// <summary>
/// The names of the SDK's OpenTelemetry signals in a plugin process. The SDK's <c>ActivitySource</c> makes one
/// server span per call, the child of the host's client span; its <c>Meter</c> records <c>rpc.server.call.duration</c>.
/// When <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set in the plugin's environment, the SDK exports both over OTLP,
/// with the sources and meters added by <see cref="PluginBuilder.AddActivitySource"/> and <see cref="PluginBuilder.AddMeter"/>.
/// </summary>
public static class PluginTelemetry
{
    /// <summary>The name of the SDK's <c>ActivitySource</c> and <c>Meter</c>: "GrpcPlugins.Sdk".</summary>
    public const string SourceName = "GrpcPlugins.Sdk";

    /// <summary>The SDK's histogram of how long the plugin took to serve each call, in seconds (OpenTelemetry rpc semantic conventions).</summary>
    public const string ServerCallDurationName = "rpc.server.call.duration";

    /// <summary>The environment variable (or setting) that turns on OTLP export: the collector's base address.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
}
