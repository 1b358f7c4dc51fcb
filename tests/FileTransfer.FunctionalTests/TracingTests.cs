using GrpcPlugins.TestSupport;
using SpanKind = GrpcPlugins.TestSupport.Otlp.Span.Types.SpanKind;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// One trace from the HTTP request through the host into the plugin process: the host and its storage plugin both
/// export over OTLP to a real receiver, because the host's environment names it and the host passes OTEL_* on.
/// </summary>
public sealed class TracingTests
{
    [Fact]
    public async Task Upload_HostAndPluginExportOtlp_RequestHostCallAndPluginSpansFormOneTrace()
    {
        // Arrange
        await using var receiver = await OtlpReceiver.StartAsync();
        // The storage plugin is confined with no network by default (appsettings.json); exporting its spans needs network.
        await using var host = await HostProcess.StartAsync(receiver.ExportEnvironment, null, null, "--Plugins:files:Sandbox:Network=Any");
        using var client = host.Client(await host.LoginAsync());

        // Act
        await TransferApiTests.PutAsync(client, "traced.bin", 100_000, seed: 11);

        // Assert: plugin span → its parent, the host's client span → its parent, the HTTP request's span; one trace id.
        var plugin = await receiver.WaitForSpanAsync(s => s.Scope == "GrpcPlugins.Sdk" && s.Name == "grpcplugins.storage.v1.StorageService/Store");
        var call = await receiver.WaitForSpanAsync(s => s.SpanId == plugin.ParentSpanId);
        var request = await receiver.WaitForSpanAsync(s => s.SpanId == call.ParentSpanId);

        Assert.Equal(SpanKind.Server, plugin.Kind);
        Assert.Equal("0", plugin.Attributes["rpc.grpc.status_code"]);
        Assert.NotEqual(plugin.Service, call.Service);
        Assert.Equal(("GrpcPlugins.Hosting", SpanKind.Client, "grpcplugins.storage.v1.StorageService/Store"), (call.Scope, call.Kind, call.Name));
        Assert.Equal("files", call.Attributes["grpcplugins.plugin.name"]);
        Assert.Equal(("Microsoft.AspNetCore", SpanKind.Server, "PUT"), (request.Scope, request.Kind, request.Attributes["http.request.method"]));
        Assert.Equal(plugin.TraceId, call.TraceId);
        Assert.Equal(plugin.TraceId, request.TraceId);
        Assert.False(string.IsNullOrEmpty(call.Attributes.GetValueOrDefault("grpcplugins.request_id")));
        Assert.Equal(call.Attributes["grpcplugins.request_id"], plugin.Attributes["grpcplugins.request_id"]);
        Assert.Equal(call.Attributes["grpcplugins.user_id"], plugin.Attributes["grpcplugins.user_id"]);
    }
}
