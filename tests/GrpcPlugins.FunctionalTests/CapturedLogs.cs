using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.FunctionalTests;

/// <summary>Keeps every log line the host writes, so tests can check what an operator would read.</summary>
internal sealed class CapturedLogs : ILoggerFactory, ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message, IReadOnlyDictionary<string, object?> Scope)> _lines = new();
    private readonly AsyncLocal<Dictionary<string, object?>?> _scope = new();

    /// <summary>Every line, with the key-value pairs of the scopes it was written in.</summary>
    public IReadOnlyList<(LogLevel Level, string Category, string Message, IReadOnlyDictionary<string, object?> Scope)> Lines => [.. _lines];

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
            where TState : notnull
        {
            var outer = owner._scope.Value;
            var inner = new Dictionary<string, object?>(outer ?? []);
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (var (key, value) in pairs)
                {
                    inner[key] = value;
                }
            }

            owner._scope.Value = inner;
            return new ScopeEnd(() => owner._scope.Value = outer);
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue((logLevel, category, formatter(state, exception), owner._scope.Value ?? new Dictionary<string, object?>()));
    }

    private sealed class ScopeEnd(Action end) : IDisposable
    {
        public void Dispose() => end();
    }
}
