using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.FunctionalTests;

/// <summary>Keeps every log line the host writes, so tests can check what an operator would read.</summary>
internal sealed class CapturedLogs : ILoggerFactory, ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message)> _lines = new();

    public IReadOnlyList<(LogLevel Level, string Category, string Message)> Lines => [.. _lines];

    public bool Contains(string text, LogLevel? level = null) =>
        _lines.Any(l => l.Message.Contains(text, StringComparison.Ordinal) && (level is null || l.Level == level));

    public async Task WaitForAsync(string text, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!Contains(text))
        {
            await Task.Delay(20, cts.Token);
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue((logLevel, category, formatter(state, exception)));
    }
}
