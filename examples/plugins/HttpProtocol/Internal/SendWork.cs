using System.Net;
using System.Net.Http.Headers;
using GrpcPlugins;
using GrpcPlugins.Protocol.V1;
using GrpcPlugins.Sdk;

namespace HttpProtocol.Internal;

/// <summary>
/// Sends a file that the sending host serves at a URL to a receiving host's resumable upload API. Each attempt asks
/// the receiver for its acknowledged offset, downloads from there with a Range request and PATCHes piece by piece,
/// so no acknowledged byte is sent twice. Given a <c>file_id</c> and a host that serves callbacks, it reads the file through
/// the host's ReadFile callback from the offset instead, so the user's token never reaches the plugin.
/// </summary>
internal sealed class SendWork(RemoteHttp remote, Uri source, Uri destination, SendWork.FileFacts file, TransferProperties properties, int chunkSize, ByteThrottle throttle, IHostCallbacks? host = null, string? fileId = null, string? uploadId = null)
    : TransferWork
{
    private readonly UploadTarget _target = new(remote, destination, () => properties.DestinationToken);
    private volatile string? _uploadId = uploadId;

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

    public override SavedSend Save() =>
        new(source.ToString(), destination.ToString(), file.Name, file.Size, file.Sha256, fileId, chunkSize, properties.DestinationToken, _uploadId);

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

    // The file from an offset: through the host's ReadFile callback when the host gave its id, else by a Range GET.
    private async Task<OpenedSource> OpenSourceAsync(long offset, CancellationToken cancellationToken)
    {
        if (host is { IsAvailable: true } && !string.IsNullOrEmpty(fileId))
        {
            try
            {
                var read = await host.Files.OpenAsync(fileId, offset: offset, cancellationToken: cancellationToken);
                return new OpenedSource(read.Content, read);
            }
            catch (PluginException ex)
            {
                throw new RemoteFailure($"The host could not serve file {fileId}: {ex.Message}", transient: ex.Code is PluginErrorCode.Unavailable or PluginErrorCode.Timeout);
            }
        }

        var request = new HttpRequestMessage(HttpMethod.Get, source);
        request.Headers.Range = new RangeHeaderValue(offset, null);
        HttpResponseMessage? response = null;
        try
        {
            response = await remote.SendAsync(request, properties.SourceToken, "serve the file", cancellationToken);
            if (offset > 0 && response.StatusCode != HttpStatusCode.PartialContent)
            {
                throw new RemoteFailure($"{source} ignored the Range request, so the transfer cannot continue from byte {offset}.", transient: false);
            }

            var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            return new OpenedSource(stream, response, request);
        }
        catch
        {
            response?.Dispose();
            request.Dispose();
            throw;
        }
    }

    private sealed class OpenedSource(Stream body, params IDisposable[] owners) : IDisposable
    {
        public Stream Body { get; } = body;

        public void Dispose()
        {
            Body.Dispose();
            foreach (var owner in owners)
            {
                owner.Dispose();
            }
        }
    }

    // Streams the source from an offset until the end, or until the receiver reports another offset than expected.
    private async Task<long> SendFromAsync(long offset, Action<long> progress, CancellationToken cancellationToken)
    {
        using var opened = await OpenSourceAsync(offset, cancellationToken);
        var body = opened.Body;
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
