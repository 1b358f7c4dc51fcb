using System.Text.Json;
using GrpcPlugins.Sdk.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GrpcPlugins.Sdk.Tests;

public sealed class HclogFormatterTests
{
    [Theory]
    [InlineData(LogLevel.Trace, "trace")]
    [InlineData(LogLevel.Debug, "debug")]
    [InlineData(LogLevel.Information, "info")]
    [InlineData(LogLevel.Warning, "warn")]
    [InlineData(LogLevel.Error, "error")]
    [InlineData(LogLevel.Critical, "error")]
    public void Write_LogEntry_IsAnHclogJsonLineGoPluginParses(LogLevel level, string hclogLevel)
    {
        IReadOnlyList<KeyValuePair<string, object?>> state = [new("Name", "files"), new("Count", 3), new("{OriginalFormat}", "Stored {Name} {Count}")];
        var entry = new LogEntry<IReadOnlyList<KeyValuePair<string, object?>>>(level, "Files.Storage", new EventId(1), state, new InvalidOperationException("boom"), (_, _) => "Stored files 3");
        using var text = new StringWriter();

        new HclogFormatter().Write(entry, null, text);

        var line = text.ToString();
        Assert.EndsWith(Environment.NewLine, line);
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal(hclogLevel, root.GetProperty("@level").GetString());
        Assert.Equal("Stored files 3", root.GetProperty("@message").GetString());
        Assert.Equal("Files.Storage", root.GetProperty("@module").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", root.GetProperty("@timestamp").GetString());
        Assert.Equal("files", root.GetProperty("Name").GetString());
        Assert.Equal("3", root.GetProperty("Count").GetString());
        Assert.False(root.TryGetProperty("{OriginalFormat}", out _));
        Assert.Contains("InvalidOperationException: boom", root.GetProperty("error").GetString());
    }
}
