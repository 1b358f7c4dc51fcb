using GrpcPlugins.Hosting.Internal;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Hosting.Tests;

public sealed class PluginLogLineTests
{
    [Fact]
    public void Forward_CrashReportThenJsonLine_ReportIsOneErrorEntryBeforeTheJsonEntry()
    {
        var logger = new ListLogger();
        var log = new PluginLogLine(logger, "files", 42);

        log.Forward("Unhandled exception. System.InvalidOperationException: boom");
        log.Forward("   at Files.Store() in /src/Files.cs:line 10");
        log.Forward("   at System.Threading.Thread.StartCallback()");
        log.Forward("""{"LogLevel":"Warning","Category":"Files","Message":"after"}""");

        Assert.Collection(
            logger.Entries,
            e =>
            {
                Assert.Equal(LogLevel.Error, e.Level);
                Assert.Equal(
                    string.Join(Environment.NewLine, "Plugin files (process 42) crashed:", "Unhandled exception. System.InvalidOperationException: boom", "   at Files.Store() in /src/Files.cs:line 10", "   at System.Threading.Thread.StartCallback()"),
                    e.Message);
            },
            e => Assert.Equal((LogLevel.Warning, "[files] Files: after"), (e.Level, e.Message)));
    }

    [Fact]
    public void Flush_AtEndOfStderr_LogsTheCollectedReport()
    {
        var logger = new ListLogger();
        var log = new PluginLogLine(logger, "files", 7);

        log.Forward("plain line");
        log.Forward("panic: runtime error: index out of range");
        log.Forward("goroutine 1 [running]:");
        Assert.True(log.CollectingCrashReport);
        log.Flush();

        Assert.Equal(2, logger.Entries.Count);
        Assert.Equal((LogLevel.Information, "[files] plain line"), (logger.Entries[0].Level, logger.Entries[0].Message));
        Assert.EndsWith("panic: runtime error: index out of range" + Environment.NewLine + "goroutine 1 [running]:", logger.Entries[1].Message);
        Assert.False(log.CollectingCrashReport);
    }

    [Theory]
    [InlineData("trace", LogLevel.Trace)]
    [InlineData("debug", LogLevel.Debug)]
    [InlineData("info", LogLevel.Information)]
    [InlineData("warn", LogLevel.Warning)]
    [InlineData("error", LogLevel.Error)]
    public void Forward_HclogJsonLine_KeepsLevelModuleAndFields(string hclogLevel, LogLevel expected)
    {
        var logger = new ListLogger();
        var log = new PluginLogLine(logger, "go", 9);

        log.Forward($$"""{"@level":"{{hclogLevel}}","@message":"stored","@module":"plugin.files","@timestamp":"2026-01-02T03:04:05.000000Z","id":"go-1","size":42}""");

        var entry = Assert.Single(logger.Entries);
        Assert.Equal((expected, "[go] plugin.files: stored id=go-1 size=42"), (entry.Level, entry.Message));
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
