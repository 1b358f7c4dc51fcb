using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Examples.AuditMonitor.Tests;

internal static class Bounded
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (!condition())
        {
            try
            {
                await Task.Delay(20, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Gave up after {Timeout.TotalSeconds} s waiting for {what}.");
            }
        }
    }
}

/// <summary>A per-test folder under the system temp folder, removed afterwards.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "auditmonitor-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class AuditFile
{
    /// <summary>Reads the audit file while the monitor may still hold it open.</summary>
    public static string[] ReadLines(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public static JsonElement[] ReadRecords(string path) =>
        ReadLines(path).Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToArray();
}

/// <summary>A gRPC call context carrying the headers a host sends.</summary>
internal sealed class TestCallContext(Metadata headers) : ServerCallContext
{
    public static TestCallContext With(string? requestId = null, string? userId = null, string? transferId = null)
    {
        var headers = new Metadata();
        if (requestId is not null)
        {
            headers.Add(PluginProtocol.RequestIdHeader, requestId);
        }

        if (userId is not null)
        {
            headers.Add(PluginProtocol.UserIdHeader, userId);
        }

        if (transferId is not null)
        {
            headers.Add(PluginProtocol.TransferIdHeader, transferId);
        }

        return new TestCallContext(headers);
    }

    protected override string MethodCore => "/grpcplugins.monitor.v1.MonitorService/Test";

    protected override string HostCore => "localhost";

    protected override string PeerCore => "unix:test";

    protected override DateTime DeadlineCore => DateTime.MaxValue;

    protected override Metadata RequestHeadersCore => headers;

    protected override CancellationToken CancellationTokenCore => CancellationToken.None;

    protected override Metadata ResponseTrailersCore { get; } = [];

    protected override Status StatusCore { get; set; }

    protected override WriteOptions? WriteOptionsCore { get; set; }

    protected override AuthContext AuthContextCore => new(null, []);

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException();

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
}

/// <summary>A clock that stands still unless moved; timers still run on real time.</summary>
internal sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>Keeps what was logged, to check the warnings a user would see.</summary>
internal sealed class CollectingLogger<T> : ILogger<T>
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception)));
}
