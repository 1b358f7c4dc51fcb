using System.Net;
using System.Net.Http.Headers;
using GrpcPlugins.Protocol.V1;

namespace HttpProtocol.Internal;

/// <summary>
/// Sends a file that the sending host serves at a URL to a receiving host's resumable upload API. Each attempt asks
/// the receiver for its acknowledged offset, downloads from there with a Range request and PATCHes piece by piece,
/// so no acknowledged byte is sent twice.
/// </summary>
internal sealed class SendWork(RemoteHttp remote, Uri source, Uri destination, SendWork.FileFacts file, TransferProperties properties, int chunkSize, ByteThrottle throttle)
    : TransferWork
{
    private readonly UploadTarget _target = new(remote, destination, () => properties.DestinationToken);
    private string? _uploadId;

    /// <summary>What the sender knows of the file.</summary>
    public sealed record FileFacts(string Name, long Size, string Sha256);

    public override async Task<long> AcknowledgedAsync(CancellationToken cancellationToken) =>
        _uploadId is null ? 0 : await _target.OffsetAsync(_uploadId, cancellationToken) ?? 0;

    public override async Task RunAsync(Action<long> progress, CancellationToken cancellationToken)
    {
        var offset = await OpenUploadAsync(cancellationToken);
        progress(offset);
        while (offset < file.Size)
        {
            offset = await SendFromAsync(offset, progress, cancellationToken);
        }

        var stored = await _target.CompleteAsync(_uploadId!, cancellationToken);
        if (!string.IsNullOrEmpty(file.Sha256) && !string.Equals(stored.Sha256, file.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new RemoteFailure($"{destination} stored the file as {stored.Id} with SHA-256 {stored.Sha256}, but the sent file's is {file.Sha256}; delete it there and send again.", transient: false);
        }
    }

    public override void Update(TransferOptions options) => properties.Update(options.Properties);

    // An upload the receiver no longer knows (it was completed, or its staging was cleared) starts again from zero.
    private async Task<long> OpenUploadAsync(CancellationToken cancellationToken)
    {
        if (_uploadId is not null && await _target.OffsetAsync(_uploadId, cancellationToken) is { } offset)
        {
            return offset;
        }

        _uploadId = await _target.CreateAsync(file.Name, file.Size, cancellationToken);
        return 0;
    }

    // Streams the source from an offset until the end, or until the receiver reports another offset than expected.
    private async Task<long> SendFromAsync(long offset, Action<long> progress, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, source);
        request.Headers.Range = new RangeHeaderValue(offset, null);
        using var response = await remote.SendAsync(request, properties.SourceToken, "serve the file", cancellationToken);
        if (offset > 0 && response.StatusCode != HttpStatusCode.PartialContent)
        {
            throw new RemoteFailure($"{source} ignored the Range request, so the transfer cannot continue from byte {offset}.", transient: false);
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[chunkSize];
        while (offset < file.Size)
        {
            var wanted = (int)Math.Min(chunkSize, file.Size - offset);
            var read = await remote.WithinLimitAsync(source, ct => body.ReadAtLeastAsync(buffer.AsMemory(0, wanted), wanted, throwOnEndOfStream: false, ct).AsTask(), cancellationToken);
            if (read < wanted)
            {
                throw new RemoteFailure($"{source} ended at byte {offset + read}, before the file's {file.Size} bytes.", transient: true);
            }

            await throttle.WaitAsync(read, cancellationToken);
            var next = await _target.AppendAsync(_uploadId!, offset, buffer.AsMemory(0, read), cancellationToken);
            progress(next);
            if (next != offset + read)
            {
                return next;
            }

            offset = next;
        }

        return offset;
    }
}
