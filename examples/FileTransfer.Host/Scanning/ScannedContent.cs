using FileTransfer.Scanner.V1;
using Google.Protobuf;
using GrpcPlugins;
using GrpcPlugins.Hosting;

namespace FileTransfer.Host.Scanning;

/// <summary>
/// An upload's content on its way to the storage plugin, teed to every scanner: each chunk read is first sent to the
/// scanners (so a slow scanner slows the upload rather than buffering it), and the end of the content is reported only
/// once every scanner has answered clean. See <see cref="UploadScanner"/>.
/// </summary>
internal sealed class ScannedContent(
    UploadScanner owner, Stream inner, ScanHeader header, IReadOnlyList<PluginClient> scanners, CancellationToken cancellationToken) : Stream
{
    // The contract's largest chunk.
    private const int MaxChunk = 1024 * 1024;

    private readonly List<Scan> _scans = [.. scanners.Select(s => new Scan(owner, s, header.Name))];
    private bool _started;
    private bool _ended;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (_ended)
        {
            return 0;
        }

        if (!_started)
        {
            _started = true;
            await EachAsync(s => s.StartAsync(header, cancellationToken));
        }

        var read = await inner.ReadAsync(buffer, ct);
        if (read == 0)
        {
            // In priority order, so the first scanner's refusal is the one reported.
            foreach (var scan in _scans)
            {
                await scan.FinishAsync(owner.Settings.VerdictTimeout, cancellationToken);
            }

            _ended = true;
            return 0;
        }

        var chunk = buffer[..read];
        await EachAsync(s => s.SendAsync(chunk, cancellationToken));
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        foreach (var scan in _scans)
        {
            scan.Dispose();
        }

        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var scan in _scans)
            {
                scan.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private async Task EachAsync(Func<Scan, Task> action)
    {
        if (_scans.Count == 1)
        {
            await action(_scans[0]);
            return;
        }

        // All at once; awaiting the tasks in priority order reports the first scanner's refusal or failure.
        var tasks = _scans.Select(action).ToList();
        foreach (var task in tasks)
        {
            await task;
        }
    }

    // One scanner's call for this upload. Calls and their failures are caught in try blocks; verdicts are judged outside
    // them, so the refusal or 503 that judging throws is never mistaken for a failure of the call.
    private sealed class Scan(UploadScanner owner, PluginClient plugin, string fileName) : IDisposable
    {
        // How long a scanner whose call failed mid-stream gets to give the answer that ended it (an early refusal).
        private static readonly TimeSpan AnswerAfterFailure = TimeSpan.FromSeconds(5);

        private Grpc.Core.AsyncClientStreamingCall<ScanRequest, ScanResponse>? _call;

        // Judged clean, or skipped because it failed and the host fails open: nothing more to send.
        private bool _done;

        public async Task StartAsync(ScanHeader header, CancellationToken ct)
        {
            Exception? failure = null;
            try
            {
                _call = plugin.CreateClient<ScannerService.ScannerServiceClient>().Scan(cancellationToken: ct);
                await _call.RequestStream.WriteAsync(new ScanRequest { Header = header }, ct);
            }
            catch (Exception ex) when (IsFailure(ex, ct))
            {
                failure = ex;
            }

            if (failure is not null)
            {
                await JudgeAnswerAsync(AnswerAfterFailure, failure, ct);
            }
        }

        public async Task SendAsync(ReadOnlyMemory<byte> chunk, CancellationToken ct)
        {
            if (_done || _call is null)
            {
                return;
            }

            if (_call.ResponseAsync.IsCompleted)
            {
                // The scanner answered before the end: a refusal, as the contract allows.
                await JudgeAnswerAsync(AnswerAfterFailure, null, ct);
                return;
            }

            Exception? failure = null;
            try
            {
                for (var offset = 0; offset < chunk.Length; offset += MaxChunk)
                {
                    var piece = chunk.Slice(offset, Math.Min(MaxChunk, chunk.Length - offset));
                    await _call.RequestStream.WriteAsync(new ScanRequest { Chunk = ByteString.CopyFrom(piece.Span) }, ct);
                }
            }
            catch (Exception ex) when (IsFailure(ex, ct))
            {
                failure = ex;
            }

            if (failure is not null)
            {
                await JudgeAnswerAsync(AnswerAfterFailure, failure, ct);
            }
        }

        public async Task FinishAsync(TimeSpan timeout, CancellationToken ct)
        {
            if (_done || _call is null)
            {
                return;
            }

            Exception? failure = null;
            try
            {
                if (!_call.ResponseAsync.IsCompleted)
                {
                    await _call.RequestStream.CompleteAsync();
                }
            }
            catch (Exception ex) when (IsFailure(ex, ct))
            {
                failure = ex;
            }

            await JudgeAnswerAsync(failure is null ? timeout : AnswerAfterFailure, failure, ct);
        }

        public void Dispose() => _call?.Dispose();

        // Waits for the scanner's answer and judges it; without one, the scanner failed (with the earlier error, if any).
        private async Task JudgeAnswerAsync(TimeSpan timeout, Exception? earlier, CancellationToken ct)
        {
            ScanResponse? answer = null;
            string? reason = null;
            if (_call is null)
            {
                reason = Describe(earlier!);
            }
            else
            {
                try
                {
                    answer = await _call.ResponseAsync.WaitAsync(timeout, ct);
                }
                catch (TimeoutException)
                {
                    reason = earlier is not null
                        ? Describe(earlier)
                        : $"it gave no verdict within {timeout.TotalSeconds:0.#} s of the upload's end (FileTransfer:Scanning:VerdictTimeout)";
                }
                catch (Exception ex) when (IsFailure(ex, ct))
                {
                    reason = Describe(ex);
                }
            }

            if (answer is null)
            {
                Fail(reason ?? "it ended the call without an answer");
                return;
            }

            switch (answer.Verdict)
            {
                case Verdict.Clean:
                    _done = true;
                    return;
                case Verdict.Refused:
                    _done = true;
                    throw owner.Refused(plugin.Name, fileName, answer);
                default:
                    Fail($"it answered without a verdict ({answer.Verdict}), which the contract does not allow");
                    return;
            }
        }

        private void Fail(string reason)
        {
            _done = true;
            if (owner.Failed(plugin.Name, fileName, reason) is { } error)
            {
                throw error;
            }
        }

        private static string Describe(Exception ex) => ex switch
        {
            Grpc.Core.RpcException rpc => $"{rpc.StatusCode}: {rpc.Status.Detail}",
            _ => ex.Message,
        };

        // Everything but the caller's own cancellation: the client went away, and nobody waits for a verdict.
        private static bool IsFailure(Exception ex, CancellationToken ct) => !(ex is OperationCanceledException && ct.IsCancellationRequested);
    }
}
