using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using GrpcPlugins.Protocol.V1;

namespace HttpProtocol.Internal;

/// <summary>
/// Pulls a file from a URL into a local folder. Bytes go to <c>name.part</c>, flushed to disk piece by piece, so a
/// resumed pull continues from the part file's length with a Range request; the finished file is checked against
/// the expected SHA-256, when one is given, and renamed into place.
/// </summary>
internal sealed class ReceiveWork(RemoteHttp remote, Uri source, string target, string expectedSha256, bool overwrite, TransferProperties properties, int chunkSize, ByteThrottle throttle)
    : TransferWork
{
    private string PartPath => target + ".part";

    public override Task<long> AcknowledgedAsync(CancellationToken cancellationToken) =>
        Task.FromResult(File.Exists(PartPath) ? new FileInfo(PartPath).Length : 0);

    public override async Task RunAsync(Action<long> progress, CancellationToken cancellationToken)
    {
        var offset = await AcknowledgedAsync(cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, source);
        if (offset > 0)
        {
            request.Headers.Range = new RangeHeaderValue(offset, null);
        }

        using var response = await remote.SendAsync(request, properties.SourceToken, "serve the file", cancellationToken, r => r.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable);
        if (response.StatusCode != HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // A server that ignores Range sends everything again, so the part file starts over.
            var append = response.StatusCode == HttpStatusCode.PartialContent;
            await CopyAsync(response, append ? offset : 0, progress, cancellationToken);
        }

        await CheckDigestAsync(cancellationToken);
        File.Move(PartPath, target, overwrite);
    }

    public override void Update(TransferOptions options) => properties.Update(options.Properties);

    private async Task CopyAsync(HttpResponseMessage response, long offset, Action<long> progress, CancellationToken cancellationToken)
    {
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        await using var part = new FileStream(PartPath, offset > 0 ? FileMode.Open : FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
        part.SetLength(offset);
        part.Seek(offset, SeekOrigin.Begin);
        var buffer = new byte[chunkSize];
        while (true)
        {
            var read = await remote.WithinLimitAsync(source, ct => body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct).AsTask(), cancellationToken);
            if (read == 0)
            {
                return;
            }

            await throttle.WaitAsync(read, cancellationToken);
            await part.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            // Only bytes on disk count as received, so a resume after a crash never skips any.
            part.Flush(flushToDisk: true);
            offset += read;
            progress(offset);
        }
    }

    private async Task CheckDigestAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(expectedSha256))
        {
            return;
        }

        string actual;
        await using (var part = File.OpenRead(PartPath))
        {
            actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(part, cancellationToken));
        }

        if (!string.Equals(actual, expectedSha256, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(PartPath);
            throw new RemoteFailure($"The file from {source} has SHA-256 {actual}, not the expected {expectedSha256}; the partial copy was deleted, resume to fetch it again.", transient: false);
        }
    }
}
