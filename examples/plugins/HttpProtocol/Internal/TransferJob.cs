using System.Runtime.CompilerServices;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GrpcPlugins;
using GrpcPlugins.Protocol.V1;
using Microsoft.Extensions.Logging;
using Polly;

namespace HttpProtocol.Internal;

/// <summary>
/// One transfer: runs its work in the background through its retry pipeline (<see cref="TransferRetry"/>), and keeps
/// the state that Status and WatchTransfer report. The retry count starts again whenever bytes move.
/// </summary>
internal sealed class TransferJob
{
    private readonly object _gate = new();
    private readonly TransferWork _work;
    private readonly HttpProtocolSettings _settings;
    private readonly ResiliencePipeline _retry;
    private readonly ILogger _logger;
    private readonly Transfer _state;
    private TaskCompletionSource _changed = NewSignal();
    private CancellationTokenSource? _stop;
    private Task _run = Task.CompletedTask;
    private readonly Action<TransferJob>? _onChanged;
    private string? _stopReason;
    private long _lastKept;

    /// <param name="id">The transfer's id.</param>
    /// <param name="file">The file, as the request named it.</param>
    /// <param name="destination">Where it goes, as the request named it.</param>
    /// <param name="totalBytes">The file's size, or 0 when unknown.</param>
    /// <param name="work">What moves the bytes.</param>
    /// <param name="settings">Retries and pauses.</param>
    /// <param name="logger">Receives retries and the end.</param>
    /// <param name="onChanged">Called (under the job's lock, so it must only take note) when the state is worth keeping.</param>
    /// <param name="restored">The state a previous run of the plugin kept, or null for a new transfer.</param>
    public TransferJob(string id, string file, string destination, long totalBytes, TransferWork work, HttpProtocolSettings settings, ILogger logger, Action<TransferJob>? onChanged = null, Transfer? restored = null)
    {
        _work = work;
        _settings = settings;
        _logger = logger;
        _retry = TransferRetry.Create(settings, Retrying);
        _onChanged = onChanged;
        CanBeSaved = work.Save() is not null;
        _state = restored?.Clone() ?? new Transfer
        {
            Id = id,
            Status = TransferStatus.Pending,
            File = file,
            Destination = destination,
            TotalBytes = totalBytes,
            StartedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        };
    }

    public string Id => _state.Id;

    /// <summary>Whether this job's work can be kept across restarts.</summary>
    public bool CanBeSaved { get; }

    /// <summary>The state and work to keep, or null for work that is not kept.</summary>
    public SavedTransfer? Save()
    {
        var send = _work.Save();
        return send is null ? null : new SavedTransfer(Snapshot().ToByteArray(), send);
    }

    /// <summary>
    /// Goes on with a restored transfer that was running when the plugin stopped (from the receiver's acknowledged
    /// offset); a finished one stays as it was.
    /// </summary>
    /// <returns>The state after restoring.</returns>
    public Transfer Restore()
    {
        lock (_gate)
        {
            if (!IsFinal(_state.Status))
            {
                Begin(_state.BytesTransferred);
            }

            return _state.Clone();
        }
    }

    /// <summary>A copy of the current state.</summary>
    public Transfer Snapshot()
    {
        lock (_gate)
        {
            return _state.Clone();
        }
    }

    /// <summary>Starts the first attempt.</summary>
    public Transfer Start()
    {
        lock (_gate)
        {
            Begin(_state.BytesTransferred);
            return _state.Clone();
        }
    }

    /// <summary>Stops a pending or active transfer.</summary>
    public async Task<Transfer> CancelAsync(string reason)
    {
        Task run;
        lock (_gate)
        {
            if (IsFinal(_state.Status))
            {
                throw new PluginException(PluginErrorCode.FailedPrecondition, $"Transfer {Id} is already {Describe(_state.Status)}; only a pending or active transfer can be cancelled.");
            }

            _stopReason = reason;
            _stop?.Cancel();
            run = _run;
        }

        // The attempt sees the cancellation at its next await; waiting for it means the answer is final.
        await run.ConfigureAwait(false);
        return Snapshot();
    }

    /// <summary>Continues a failed or cancelled transfer from the receiver's acknowledged offset.</summary>
    public async Task<Transfer> ResumeAsync(TransferOptions? options, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_state.Status is not (TransferStatus.Failed or TransferStatus.Cancelled))
            {
                throw new PluginException(PluginErrorCode.FailedPrecondition, $"Transfer {Id} is {Describe(_state.Status)}; only a failed or cancelled transfer can be resumed.");
            }
        }

        if (options is not null)
        {
            _work.Update(options);
        }

        long acknowledged;
        try
        {
            acknowledged = await _work.AcknowledgedAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RemoteFailure ex)
        {
            throw new PluginException(ex.Transient ? PluginErrorCode.Unavailable : PluginErrorCode.FailedPrecondition, $"Cannot resume transfer {Id}: {ex.Message}")
            {
                ErrorSource = PluginErrorSource.Downstream,
                Retryable = ex.Transient,
            };
        }

        lock (_gate)
        {
            if (_state.Status is not (TransferStatus.Failed or TransferStatus.Cancelled))
            {
                throw new PluginException(PluginErrorCode.FailedPrecondition, $"Transfer {Id} was resumed by another call meanwhile.");
            }

            Begin(acknowledged);
            return _state.Clone();
        }
    }

    /// <summary>Yields the state now and at each change, ending after a final state.</summary>
    public async IAsyncEnumerable<Transfer> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            Transfer snapshot;
            Task changed;
            lock (_gate)
            {
                snapshot = _state.Clone();
                changed = _changed.Task;
            }

            yield return snapshot;
            if (IsFinal(snapshot.Status))
            {
                yield break;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool IsFinal(TransferStatus status) => status is TransferStatus.Completed or TransferStatus.Failed or TransferStatus.Cancelled;

    private static string Describe(TransferStatus status) => status.ToString().ToLowerInvariant();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Called under the lock.
    private void Begin(long acknowledged)
    {
        _stop?.Dispose();
        _stop = new CancellationTokenSource();
        _stopReason = null;
        _state.Status = TransferStatus.Active;
        _state.Error = string.Empty;
        SetBytes(acknowledged);
        _lastKept = 0;
        var stop = _stop.Token;
        _run = Task.Run(() => RunAsync(stop), CancellationToken.None);
        Changed();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        while (true)
        {
            var attempts = 0;
            try
            {
                await _retry.ExecuteAsync(
                    async ct =>
                    {
                        attempts++;
                        var before = Snapshot().BytesTransferred;
                        try
                        {
                            await _work.RunAsync(Report, ct).ConfigureAwait(false);
                        }
                        catch (RemoteFailure ex) when (ex.Transient && Snapshot().BytesTransferred > before)
                        {
                            // Bytes moved before it failed: not a retry in a row, so a fresh run of the pipeline (with
                            // all its attempts) goes on from the receiver's offset.
                            throw new ProgressThenFailure(ex);
                        }
                    },
                    stop).ConfigureAwait(false);
                Finish(TransferStatus.Completed, string.Empty);
                HttpProtocolLog.Completed(_logger, Id, Snapshot().BytesTransferred);
                return;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                Finish(TransferStatus.Cancelled, _stopReason ?? "cancelled");
                return;
            }
            catch (ProgressThenFailure ex)
            {
                Retrying(ex.Failure, TimeSpan.Zero);
            }
            catch (RemoteFailure ex)
            {
                var gaveUp = ex.Transient ? $" (gave up after {attempts} failed attempts in a row, max_retries {_settings.MaxRetries}; resume the transfer once it is reachable)" : string.Empty;
                Finish(TransferStatus.Failed, ex.Message + gaveUp);
                HttpProtocolLog.Failed(_logger, Id, ex.Message + gaveUp);
                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                Finish(TransferStatus.Failed, ex.Message);
                HttpProtocolLog.Failed(_logger, Id, ex.Message);
                return;
            }
        }
    }

    // A transient failure that is retried: shown as the transfer's error while it is still active.
    private void Retrying(RemoteFailure failure, TimeSpan pause)
    {
        HttpProtocolLog.Retrying(_logger, Id, failure.Message, pause.TotalMilliseconds);
        lock (_gate)
        {
            _state.Error = failure.Message;
            Changed();
        }
    }

    private sealed class ProgressThenFailure(RemoteFailure failure) : Exception(failure.Message, failure)
    {
        public RemoteFailure Failure { get; } = failure;
    }

    private void Report(long acknowledged)
    {
        lock (_gate)
        {
            SetBytes(acknowledged);

            // Progress is kept at most once a second (the first report of an attempt carries the upload's id); a
            // restart asks the receiver for its offset anyway.
            var now = Environment.TickCount64;
            var keep = now - _lastKept >= 1000;
            if (keep)
            {
                _lastKept = now;
            }

            Changed(keep);
        }
    }

    private void Finish(TransferStatus status, string error)
    {
        lock (_gate)
        {
            _state.Status = status;
            _state.Error = error;
            if (status == TransferStatus.Completed)
            {
                SetBytes(_state.TotalBytes > 0 ? _state.TotalBytes : _state.BytesTransferred);
                _state.Progress = 1;
            }

            Changed();
        }
    }

    private void SetBytes(long acknowledged)
    {
        _state.BytesTransferred = acknowledged;
        _state.Progress = _state.TotalBytes > 0 ? Math.Min(1, (double)acknowledged / _state.TotalBytes) : 0;
    }

    private void Changed(bool keep = true)
    {
        _changed.TrySetResult();
        _changed = NewSignal();
        if (keep)
        {
            _onChanged?.Invoke(this);
        }
    }
}
