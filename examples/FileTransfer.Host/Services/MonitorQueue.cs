using System.Threading.Channels;
using GrpcPlugins;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Protocol.V1;
using Microsoft.Extensions.Options;

namespace FileTransfer.Host.Services;

/// <summary>The kinds of monitor event.</summary>
public enum MonitorEventKind
{
    /// <summary>A transfer started.</summary>
    Started,

    /// <summary>A transfer progressed.</summary>
    Progress,

    /// <summary>A transfer completed.</summary>
    Completed,

    /// <summary>A transfer failed.</summary>
    Failed,
}

/// <summary>One event for the monitor plugins.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Transfer">The transfer's state at that moment.</param>
/// <param name="Context">The context of the request that caused it.</param>
public sealed record MonitorEvent(MonitorEventKind Kind, Transfer Transfer, PluginContext? Context);

/// <summary>
/// Delivers transfer events to every monitor plugin through a bounded queue. Transfers only ever enqueue: a slow or
/// dead monitor fills the queue, and further events are dropped and counted, so it never slows or fails a transfer.
/// </summary>
public sealed partial class MonitorQueue : BackgroundService
{
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

    /// <summary>How many deliveries to a monitor failed.</summary>
    public long FailedDeliveries => Interlocked.Read(ref _failed);

    /// <summary>Queues an event without waiting; drops it when the queue is full.</summary>
    /// <param name="kind">What happened.</param>
    /// <param name="transfer">The transfer's state.</param>
    public void Enqueue(MonitorEventKind kind, Transfer transfer)
    {
        if (!_queue.Writer.TryWrite(new MonitorEvent(kind, transfer.Clone(), PluginContext.Current)))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var item in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            using var scope = item.Context is null ? null : PluginContext.Begin(item.Context);
            foreach (var monitor in _plugins.Monitors)
            {
                await DeliverAsync(monitor, item, stoppingToken);
            }
        }
    }

    private async Task DeliverAsync(PluginClient monitor, MonitorEvent item, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(DeliveryTimeout);
        try
        {
            var client = monitor.Monitor;
            await (item.Kind switch
            {
                MonitorEventKind.Started => client.TransferStartedAsync(item.Transfer, timeout.Token),
                MonitorEventKind.Progress => client.TransferProgressAsync(item.Transfer, item.Transfer.Progress, timeout.Token),
                MonitorEventKind.Completed => client.TransferCompletedAsync(item.Transfer, timeout.Token),
                _ => client.TransferFailedAsync(item.Transfer, new PluginError { Code = ErrorCode.Internal, Message = item.Transfer.Error }, timeout.Token),
            });
        }
        catch (PluginException ex)
        {
            Interlocked.Increment(ref _failed);
            LogDeliveryFailed(_logger, monitor.Name, item.Kind, ex.Message);
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Monitor {Monitor} did not take a {Kind} event: {Error}")]
    private static partial void LogDeliveryFailed(ILogger logger, string monitor, MonitorEventKind kind, string error);
}
