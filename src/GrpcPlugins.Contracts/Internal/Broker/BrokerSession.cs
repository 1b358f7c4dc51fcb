using GrpcPlugins.GoPlugin;
using Grpc.Net.Client;

namespace GrpcPlugins.Internal;

/// <summary>
/// One side of go-plugin's broker stream, the same for host and plugin: announcements received are kept by id until
/// one dial takes each; announcements sent go out through <c>send</c>, one at a time. The transport (which side opened
/// the stream) is the caller's; it feeds <see cref="Received"/> and calls <see cref="Close"/> when the stream ends.
/// </summary>
internal sealed class BrokerSession(Func<ConnInfo, CancellationToken, Task> send, string peer) : IPluginBroker
{
    /// <summary>How long a dial waits for the other side's announcement: go-plugin's own 5 s.</summary>
    public static readonly TimeSpan DialTimeout = TimeSpan.FromSeconds(5);

    private readonly Lock _lock = new();
    private readonly Dictionary<uint, TaskCompletionSource<ConnInfo>> _announced = [];
    private readonly SemaphoreSlim _sending = new(1, 1);
    private string? _closed;
    private int _nextId;

    public uint NextId() => (uint)Interlocked.Increment(ref _nextId);

    public async Task AcceptAsync(uint id, string unixSocketPath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(unixSocketPath);
        if (!Path.IsPathFullyQualified(unixSocketPath))
        {
            throw new ArgumentException($"The broker socket path '{unixSocketPath}' is relative; pass the full path the other side can dial.", nameof(unixSocketPath));
        }

        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            await send(new ConnInfo { ServiceId = id, Network = "unix", Address = unixSocketPath }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not PluginException and not OperationCanceledException)
        {
            throw Closed($"the broker stream failed while announcing id {id} ({ex.Message})", ex);
        }
        finally
        {
            _sending.Release();
        }
    }

    public async Task<GrpcChannel> DialAsync(uint id, CancellationToken cancellationToken = default)
    {
        TaskCompletionSource<ConnInfo> announced;
        lock (_lock)
        {
            ThrowIfClosed();
            announced = Slot(id);
        }

        ConnInfo info;
        try
        {
            info = await announced.Task.WaitAsync(DialTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new PluginException(
                PluginErrorCode.Timeout,
                $"The {peer} announced nothing on broker id {id} within {DialTimeout.TotalSeconds:0} s. The {peer} must serve that id (go-plugin: broker.AcceptAndServe({id}, ...); GrpcPlugins: IPluginBroker.AcceptAsync) before or while this side dials it, and the two sides must agree on the id.");
        }
        finally
        {
            lock (_lock)
            {
                // One announcement, one dial: the next dial of this id waits for the next announcement.
                if (_announced.TryGetValue(id, out var current) && current == announced)
                {
                    _announced.Remove(id);
                }
            }
        }

        return BrokerChannel.Create(info);
    }

    /// <summary>Keeps an announcement from the other side for the dial of its id.</summary>
    public void Received(ConnInfo info)
    {
        lock (_lock)
        {
            var slot = Slot(info.ServiceId);
            if (!slot.TrySetResult(info))
            {
                // Announced again before anyone dialed: the newest address wins.
                _announced[info.ServiceId] = CompletedWith(info);
            }
        }
    }

    /// <summary>Ends the session: waiting dials and later calls fail with Unavailable, saying why.</summary>
    public void Close(string why)
    {
        List<TaskCompletionSource<ConnInfo>> waiting;
        lock (_lock)
        {
            _closed ??= why;
            waiting = [.. _announced.Values];
            _announced.Clear();
        }

        waiting.ForEach(w => w.TrySetException(Closed(why)));
    }

    private TaskCompletionSource<ConnInfo> Slot(uint id)
    {
        if (!_announced.TryGetValue(id, out var slot))
        {
            slot = new TaskCompletionSource<ConnInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
            _announced[id] = slot;
        }

        return slot;
    }

    private static TaskCompletionSource<ConnInfo> CompletedWith(ConnInfo info)
    {
        var done = new TaskCompletionSource<ConnInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        done.SetResult(info);
        return done;
    }

    private void ThrowIfClosed()
    {
        if (_closed is { } why)
        {
            throw Closed(why);
        }
    }

    private PluginException Closed(string why, Exception? inner = null) => new(
        PluginErrorCode.Unavailable,
        $"The go-plugin broker to the {peer} is closed: {why}. The {peer} must serve plugin.GRPCBroker and be running; a new broker comes with its next start.",
        inner);
}
