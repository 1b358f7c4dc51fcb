using System.Buffers;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Examples.AuditMonitor.Internal;

/// <summary>
/// Appends JSON lines to the audit file. Callers only enqueue; one task drains the queue, so writes never
/// interleave and a slow disk never slows a call. Lines are buffered and written every flush interval,
/// at once when an urgent line arrives, and on close. A write that fails (a full disk) drops its lines,
/// counts them and logs a warning instead of failing the plugin.
/// </summary>
internal sealed class AuditLog : IAsyncDisposable
{
    /// <summary>How many lines may wait for the writer before new ones are dropped.</summary>
    public const int DefaultCapacity = 100_000;

    // Bounds the memory held between flushes when lines arrive faster than the flush interval.
    private const int MaxBufferedBytes = 256 * 1024;

    private readonly FileStream _file;
    private readonly Channel<AuditLine> _queue;
    private readonly TimeSpan _flushInterval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _capacity;
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private readonly Task _writer;
    private int _bufferedLines;
    private long _firstBufferedAt;
    private bool _failing;
    private long _written;
    private long _dropped;
    private long _queueDropped;
    private long _queueDroppedReported;
    private int _closed;

    private AuditLog(string path, FileStream file, TimeSpan flushInterval, TimeProvider time, ILogger logger, int capacity)
    {
        FilePath = path;
        _file = file;
        _flushInterval = flushInterval;
        _time = time;
        _logger = logger;
        _capacity = capacity;
        _queue = Channel.CreateBounded<AuditLine>(
            new BoundedChannelOptions(capacity)
            {
                // Dropping beats waiting: a monitor must never make a transfer slower.
                FullMode = BoundedChannelFullMode.DropWrite,
                SingleReader = true,
                SingleWriter = false,
            },
            _ => Interlocked.Increment(ref _queueDropped));
        _writer = Task.Run(RunAsync);
    }

    /// <summary>The audit file's full path.</summary>
    public string FilePath { get; }

    /// <summary>Lines that reached the file.</summary>
    public long WrittenLines => Interlocked.Read(ref _written);

    /// <summary>Lines lost: failed writes, a full queue, or writes after close.</summary>
    public long DroppedLines => Interlocked.Read(ref _dropped) + Interlocked.Read(ref _queueDropped);

    /// <summary>
    /// Opens (or creates) the audit file for appending, creating its folder if missing.
    /// A path that cannot be written is an InvalidArgument that says which path and why.
    /// </summary>
    public static AuditLog Open(string path, TimeSpan flushInterval, TimeProvider time, ILogger logger, int capacity = DefaultCapacity)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(flushInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);

        FileStream file;
        try
        {
            var folder = Path.GetDirectoryName(path);
            if (!string.IsNullOrEmpty(folder))
            {
                Directory.CreateDirectory(folder);
            }

            // Unbuffered: this class buffers itself, so that it knows which lines a failed write lost.
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, bufferSize: 0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or System.Security.SecurityException)
        {
            throw new PluginException(
                PluginErrorCode.InvalidArgument,
                $"The audit log '{path}' ({AuditMonitorSettings.AuditLogKey}) cannot be written: {ex.Message} Set {AuditMonitorSettings.AuditLogKey} to a file in a folder the plugin's user can create and write to.",
                ex);
        }

        if (file.CanSeek)
        {
            file.Seek(0, SeekOrigin.End);
        }

        return new AuditLog(path, file, flushInterval, time, logger, capacity);
    }

    /// <summary>
    /// Queues one line (UTF-8 JSON ending in a newline). Never blocks. An urgent line is written as soon as
    /// the writer reaches it; others wait for the flush interval.
    /// </summary>
    /// <returns>False when the log is closed and the line was dropped.</returns>
    public bool Write(byte[] line, bool urgent)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (_queue.Writer.TryWrite(new AuditLine(line, urgent)))
        {
            return true;
        }

        Interlocked.Increment(ref _dropped);
        return false;
    }

    /// <summary>
    /// Stops accepting lines, writes every queued line and closes the file.
    /// </summary>
    /// <param name="cancellationToken">When cancelled, stops waiting; the writer finishes on its own as long as the process lives.</param>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _closed, 1) == 1)
        {
            await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        _queue.Writer.TryComplete();
        try
        {
            await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            AuditMonitorLog.CloseAbandoned(_logger, FilePath);
            return;
        }

        AuditMonitorLog.Closed(_logger, FilePath, WrittenLines, DroppedLines);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await CloseAsync(CancellationToken.None).ConfigureAwait(false);

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        try
        {
            while (true)
            {
                var more = reader.WaitToReadAsync().AsTask();
                if (_bufferedLines > 0 && !more.IsCompleted)
                {
                    var wait = _flushInterval - _time.GetElapsedTime(_firstBufferedAt);
                    if (wait > TimeSpan.Zero)
                    {
                        using var stopDelay = new CancellationTokenSource();
                        await Task.WhenAny(more, Task.Delay(wait, _time, stopDelay.Token)).ConfigureAwait(false);
                        await stopDelay.CancelAsync().ConfigureAwait(false);
                    }

                    if (!more.IsCompleted)
                    {
                        Flush(toDisk: false);
                    }
                }

                if (!await more.ConfigureAwait(false))
                {
                    break;
                }

                var urgent = false;
                while (reader.TryRead(out var line))
                {
                    Append(line.Bytes);
                    urgent |= line.Urgent;
                    if (_buffer.WrittenCount >= MaxBufferedBytes)
                    {
                        Flush(toDisk: false);
                    }
                }

                if (urgent || (_bufferedLines > 0 && _time.GetElapsedTime(_firstBufferedAt) >= _flushInterval))
                {
                    Flush(toDisk: false);
                }
            }

            Flush(toDisk: true);
        }
        finally
        {
            await _file.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Append(byte[] line)
    {
        if (_bufferedLines == 0)
        {
            _firstBufferedAt = _time.GetTimestamp();
        }

        _buffer.Write(line);
        _bufferedLines++;
    }

    private void Flush(bool toDisk)
    {
        ReportQueueDrops();
        if (_bufferedLines == 0)
        {
            return;
        }

        var lines = _bufferedLines;
        var start = _file.CanSeek ? _file.Position : -1;
        try
        {
            _file.Write(_buffer.WrittenSpan);
            _file.Flush(toDisk);
            Interlocked.Add(ref _written, lines);
            if (_failing)
            {
                _failing = false;
                AuditMonitorLog.WriteRecovered(_logger, FilePath, DroppedLines);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Interlocked.Add(ref _dropped, lines);
            RemovePartialLine(start);
            if (!_failing)
            {
                _failing = true;
                AuditMonitorLog.WriteFailed(_logger, FilePath, lines, ex.Message);
            }
        }
        finally
        {
            _buffer.Clear();
            _bufferedLines = 0;
        }
    }

    // A write that failed half-way leaves part of a line; cutting it off keeps every line parseable.
    private void RemovePartialLine(long start)
    {
        if (start < 0)
        {
            return;
        }

        try
        {
            _file.SetLength(start);
            _file.Position = start;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            // Nothing more can be done for a file that can be neither written nor truncated.
        }
    }

    private void ReportQueueDrops()
    {
        var dropped = Interlocked.Read(ref _queueDropped);
        if (dropped != _queueDroppedReported)
        {
            AuditMonitorLog.QueueFull(_logger, FilePath, dropped - _queueDroppedReported, _capacity);
            _queueDroppedReported = dropped;
        }
    }

    private readonly record struct AuditLine(byte[] Bytes, bool Urgent);
}
