using Microsoft.Extensions.Logging.Abstractions;

namespace GrpcPlugins.Examples.AuditMonitor.Tests;

public sealed class InitTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task InitAsync_NoAuditLog_ThrowsInvalidArgumentNamingTheKey()
    {
        // Arrange
        await using var monitor = NewMonitor();

        // Act
        var error = await InitFailsAsync(monitor, new Dictionary<string, string> { ["flush_interval_ms"] = "100" });

        // Assert
        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains("audit_log", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InitAsync_AuditLogBelowAFile_ThrowsInvalidArgumentNamingThePath()
    {
        // Arrange: a file where the folder should be cannot be made into a folder, even by root.
        var blocker = _folder.File("not-a-folder");
        await File.WriteAllTextAsync(blocker, "x");
        var path = Path.Combine(blocker, "audit.jsonl");
        await using var monitor = NewMonitor();

        // Act
        var error = await InitFailsAsync(monitor, new Dictionary<string, string> { ["audit_log"] = path });

        // Assert
        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be written", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InitAsync_AuditLogIsAFolder_ThrowsInvalidArgument()
    {
        // Arrange
        await using var monitor = NewMonitor();

        // Act
        var error = await InitFailsAsync(monitor, new Dictionary<string, string> { ["audit_log"] = _folder.Path });

        // Assert
        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains(_folder.Path, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("flush_interval_ms", "0")]
    [InlineData("flush_interval_ms", "-5")]
    [InlineData("flush_interval_ms", "soon")]
    [InlineData("otlp_endpoint", "localhost:4317")]
    [InlineData("otlp_endpoint", "ftp://collector:4317")]
    [InlineData("otlp_protocol", "thrift")]
    public async Task InitAsync_BadOptionalValue_ThrowsInvalidArgumentNamingTheKey(string key, string value)
    {
        // Arrange
        await using var monitor = NewMonitor();
        var config = new Dictionary<string, string> { ["audit_log"] = _folder.File("audit.jsonl"), [key] = value };

        // Act
        var error = await InitFailsAsync(monitor, config);

        // Assert
        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InitAsync_NoOptionalValues_CreatesTheAuditFile()
    {
        // Arrange
        var path = _folder.File("a", "b", "audit.jsonl");
        await using var monitor = NewMonitor();

        // Act
        await monitor.InitAsync(new Dictionary<string, string> { ["audit_log"] = path }, CancellationToken.None).WaitAsync(Bounded.Timeout);

        // Assert
        Assert.True(File.Exists(path));
    }

    private static async Task<PluginException> InitFailsAsync(AuditMonitorService monitor, Dictionary<string, string> config) =>
        await Assert.ThrowsAsync<PluginException>(() => monitor.InitAsync(config, CancellationToken.None).WaitAsync(Bounded.Timeout));

    private static AuditMonitorService NewMonitor() => new(NullLogger<AuditMonitorService>.Instance, TimeProvider.System);
}
