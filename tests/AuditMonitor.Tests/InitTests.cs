using Grpc.Core;
using GrpcPlugins.Testing;

namespace GrpcPlugins.Examples.AuditMonitor.Tests;

/// <summary>
/// Init through real gRPC, as a host sends it: the settings bound and validated by the SDK
/// (<see cref="AuditMonitorSettings"/>), then the audit log opened (<see cref="PluginTestServer"/>, configured as
/// Program.cs configures the plugin).
/// </summary>
public sealed class InitTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Init_NoAuditLog_InvalidArgumentNamingTheKeyAndWhatToSet()
    {
        // Arrange
        await using var plugin = await StartAsync();

        // Act
        var error = await InitFailsAsync(plugin, new Dictionary<string, string> { ["flush_interval_ms"] = "100" });

        // Assert
        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains("The 'audit_log' setting is missing: The audit_log field is required: set it to the path of the JSON-lines file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_AuditLogBelowAFile_InvalidArgumentNamingThePath()
    {
        // Arrange: a file where the folder should be cannot be made into a folder, even by root.
        var blocker = _folder.File("not-a-folder");
        await File.WriteAllTextAsync(blocker, "x");
        var path = Path.Combine(blocker, "audit.jsonl");
        await using var plugin = await StartAsync();

        // Act
        var error = await InitFailsAsync(plugin, new Dictionary<string, string> { ["audit_log"] = path });

        // Assert
        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be written", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_AuditLogIsAFolder_InvalidArgument()
    {
        // Arrange
        await using var plugin = await StartAsync();

        // Act
        var error = await InitFailsAsync(plugin, new Dictionary<string, string> { ["audit_log"] = _folder.Path });

        // Assert
        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains(_folder.Path, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("flush_interval_ms", "0", "which is not valid: The field flush_interval_ms must be a whole number of milliseconds of 1 or more.")]
    [InlineData("flush_interval_ms", "-5", "which is not valid: The field flush_interval_ms must be a whole number of milliseconds of 1 or more.")]
    [InlineData("flush_interval_ms", "soon", "which is not a whole number.")]
    [InlineData("otlp_endpoint", "localhost:4317", "which is not an http or https URL")]
    [InlineData("otlp_endpoint", "ftp://collector:4317", "which is not an http or https URL")]
    [InlineData("otlp_protocol", "thrift", "which is not a protocol the exporter speaks: use 'grpc' (the default) or 'http/protobuf'.")]
    public async Task Init_BadOptionalValue_InvalidArgumentNamingTheKeyAndValue(string key, string value, string expected)
    {
        // Arrange
        await using var plugin = await StartAsync();
        var config = new Dictionary<string, string> { ["audit_log"] = _folder.File("audit.jsonl"), [key] = value };

        // Act
        var error = await InitFailsAsync(plugin, config);

        // Assert
        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains($"The '{key}' setting is '{value}', {expected}", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_folder.File("audit.jsonl")));
    }

    [Fact]
    public async Task Init_NoOptionalValues_CreatesTheAuditFile()
    {
        // Arrange
        var path = _folder.File("a", "b", "audit.jsonl");
        await using var plugin = await StartAsync();

        // Act
        await plugin.InitAsync(new Dictionary<string, string> { ["audit_log"] = path }).WaitAsync(Bounded.Timeout);

        // Assert
        Assert.True(File.Exists(path));
    }

    private static Task<PluginTestServer> StartAsync() =>
        PluginTestServer.StartAsync(AuditMonitorPlugin.Configure, new PluginTestServerOptions { Initialize = false }).WaitAsync(Bounded.Timeout);

    private static async Task<PluginException> InitFailsAsync(PluginTestServer plugin, Dictionary<string, string> config)
    {
        var rpc = await Assert.ThrowsAsync<RpcException>(() => plugin.InitAsync(config).WaitAsync(Bounded.Timeout));
        return PluginErrors.FromRpcException(rpc);
    }
}
