using System.Threading.Channels;
using FileTransfer.Host.Transfers;
using GrpcPlugins;
using GrpcPlugins.Hosting;
using GrpcPlugins.Monitor.V2;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Protocol.V1;
using Microsoft.Extensions.Options;

namespace FileTransfer.Host.Telemetry;

/// <summary>
/// Delivers transfer events to every monitor plugin through a bounded queue, in batches of what has queued up
/// (at most <see cref="MaxBatch"/>), to each monitor in priority order. Transfers only ever enqueue: a slow or dead
/// monitor fills the queue, and further events are dropped and counted, so it never slows or fails a transfer.
/// </summary>
public sealed partial class MonitorQueue : BackgroundService
{
    /// <summary>The most events delivered to a monitor in one call.</summary>
    public const int MaxBatch = 512;

    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(2);
    private readonly Channel<MonitorEvent> _queue;
    private readonly PluginSelector _plugins;
    private readonly ILogger<MonitorQueue> _logger;
    private long _dropped;
    private long _failed;

    /// <summary>Creates the queue with the configured capacity.</summary>
    /// <param name="plugins">Finds the monitor plugins.</param>
    /// <param name="options">The host's settings.</param>
    /// <param name="logger">Logs failed deliveries.</param>
    public MonitorQueue(PluginSelector plugins, IOptions<FileTransferOptions> options, ILogger<MonitorQueue> logger)
    {
        _plugins = plugins;
        _logger = logger;
        _queue = Channel.CreateBounded<MonitorEvent>(new BoundedChannelOptions(Math.Max(1, options.Value.MonitorQueueCapacity))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>How many events were dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>How many event deliveries to a monitor failed (an event that failed for two monitors counts twice).</summary>
    public long FailedDeliveries => Interlocked.Read(ref _failed);

    /// <summary>Queues an event without waiting; drops it when the queue is full.</summary>
    /// <param name="kind">What happened.</param>
    /// <param name="transfer">The transfer's state.</param>
    public void Enqueue(MonitorEventKind kind, Transfer transfer)
    {
        var copy = transfer.Clone();
        var monitorEvent = kind switch
        {
            MonitorEventKind.Started => MonitorEvents.Started(copy),
            MonitorEventKind.Progress => MonitorEvents.Progress(copy, copy.Progress),
            MonitorEventKind.Completed => MonitorEvents.Completed(copy),
            _ => MonitorEvents.Failed(copy, new PluginError { Code = ErrorCode.Internal, Message = copy.Error }),
        };
        Enqueue(monitorEvent);
    }

    /// <summary>Queues any event, such as a metric made with <see cref="MonitorEvents.Metric"/>, without waiting; drops it when the queue is full.</summary>
    /// <param name="monitorEvent">The event.</param>
    public void Enqueue(MonitorEvent monitorEvent)
    {
        ArgumentNullException.ThrowIfNull(monitorEvent);
        if (!_queue.Writer.TryWrite(monitorEvent))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<MonitorEvent>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync(stoppingToken))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            foreach (var monitor in _plugins.Monitors)
            {
                await DeliverAsync(monitor, batch, stoppingToken);
            }
        }
    }

    private async Task DeliverAsync(PluginClient monitor, List<MonitorEvent> batch, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(DeliveryTimeout);
        try
        {
            await monitor.Monitor.PublishAsync(batch, timeout.Token);
        }
        catch (PluginException ex)
        {
            Interlocked.Add(ref _failed, batch.Count);
            LogDeliveryFailed(_logger, monitor.Name, batch.Count, ex.Message);
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Monitor {Monitor} did not take a batch of {Events} events: {Error}")]
    private static partial void LogDeliveryFailed(ILogger logger, string monitor, int events, string error);
}
