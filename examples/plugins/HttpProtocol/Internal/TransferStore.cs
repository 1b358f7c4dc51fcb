using System.Text.Json;
using System.Threading.Channels;
using GrpcPlugins;
using GrpcPlugins.Sdk;
using Microsoft.Extensions.Logging;

namespace HttpProtocol.Internal;

/// <summary>
/// Keeps sends in the host's key-value store (host callbacks, grant <c>kv</c>) so they survive the plugin's restart and
/// upgrade. Writes go through one background writer, which always writes a job's latest state, so a burst of changes
/// costs one write and the order of writes never matters. Without callbacks or the grant, transfers live in memory only.
/// </summary>
internal sealed class TransferStore
{
    /// <summary>The prefix of every key this store writes.</summary>
    public const string Prefix = "transfer/";

    // Finished transfers are kept this long for Status after a restart, then dropped at the next start.
    private static readonly TimeSpan KeepFinished = TimeSpan.FromDays(1);

    private readonly IHostCallbacks _host;
    private readonly ILogger _logger;
    private readonly Channel<TransferJob> _dirty = Channel.CreateUnbounded<TransferJob>(new UnboundedChannelOptions { SingleReader = true });
    private volatile bool _enabled;
    private volatile bool _frozen;

    public TransferStore(IHostCallbacks host, ILogger logger)
    {
        _host = host;
        _logger = logger;
        _enabled = host.IsAvailable;
        _ = Task.Run(WriteLoopAsync);
    }

    /// <summary>Marks a job's state as changed; it is written soon.</summary>
    public void Changed(TransferJob job)
    {
        if (_enabled && !_frozen && job.CanBeSaved)
        {
            _dirty.Writer.TryWrite(job);
        }
    }

    /// <summary>
    /// Stops writing: the plugin is stopping, and the sends it cancels now should be kept as running, so that the next
    /// start (after a restart or an upgrade) continues them.
    /// </summary>
    public void Freeze() => _frozen = true;

    /// <summary>The sends kept by an earlier run of this plugin; none without callbacks or the grant.</summary>
    public async Task<IReadOnlyList<SavedTransfer>> LoadAsync(CancellationToken cancellationToken)
    {
        if (!_enabled)
        {
            return [];
        }

        IReadOnlyList<KeyValuePair<string, byte[]>> entries;
        try
        {
            entries = await _host.KeyValue.ListAsync(Prefix, cancellationToken).ConfigureAwait(false);
        }
        catch (PluginException ex)
        {
            Disable(ex);
            return [];
        }

        var loaded = new List<SavedTransfer>();
        foreach (var (key, value) in entries)
        {
            SavedTransfer? saved = null;
            try
            {
                saved = JsonSerializer.Deserialize(value, SavedTransferJson.Default.SavedTransfer);
            }
            catch (JsonException)
            {
            }

            var transfer = saved is null ? null : GrpcPlugins.Protocol.V1.Transfer.Parser.ParseFrom(saved.Transfer);
            if (saved is null || transfer is null || (IsFinal(transfer) && transfer.StartedAt.ToDateTimeOffset() < DateTimeOffset.UtcNow - KeepFinished))
            {
                await DeleteAsync(key, cancellationToken).ConfigureAwait(false);
                continue;
            }

            loaded.Add(saved);
        }

        return loaded;
    }

    private static bool IsFinal(GrpcPlugins.Protocol.V1.Transfer transfer) =>
        transfer.Status is GrpcPlugins.Protocol.V1.TransferStatus.Completed or GrpcPlugins.Protocol.V1.TransferStatus.Failed or GrpcPlugins.Protocol.V1.TransferStatus.Cancelled;

    private async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await _host.KeyValue.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (PluginException ex)
        {
            HttpProtocolLog.NotKept(_logger, key, ex.Message);
        }
    }

    private async Task WriteLoopAsync()
    {
        await foreach (var job in _dirty.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (!_enabled || _frozen || job.Save() is not { } saved)
            {
                continue;
            }

            try
            {
                await _host.KeyValue.PutAsync(Prefix + job.Id, JsonSerializer.SerializeToUtf8Bytes(saved, SavedTransferJson.Default.SavedTransfer)).ConfigureAwait(false);
            }
            catch (PluginException ex) when (ex.Code == PluginErrorCode.PermissionDenied)
            {
                Disable(ex);
            }
            catch (PluginException ex)
            {
                // The host may be briefly away; the next change writes the state again.
                HttpProtocolLog.NotKept(_logger, job.Id, ex.Message);
            }
        }
    }

    private void Disable(PluginException ex)
    {
        _enabled = false;
        HttpProtocolLog.InMemoryOnly(_logger, ex.Message);
    }
}
