using System.Security.Cryptography;
using Grpc.Core;
using GrpcPlugins.Internal;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>
/// A Store call's request stream from a host that promised an end marker (<see cref="PluginProtocol.StoreEndHeader"/>):
/// it tallies the content (chunk messages, or data-channel bytes reported through <see cref="Count"/>) and ends only
/// after a StoreEnd whose size and SHA-256 match the tally. A stream that ends without the marker was cut off; one whose
/// marker disagrees was damaged. Either fails the read, so the author's code, still reading the content, commits nothing.
/// When the host writes the content into a file the plugin passed, nothing is tallied: the marker is read with
/// <see cref="ReadPassedFileEndAsync"/> and checked against the file with <see cref="AcceptPassedFile"/>.
/// </summary>
internal sealed class StoreEndReader(IAsyncStreamReader<StoreRequest> call) : IAsyncStreamReader<StoreRequest>, IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _size;
    private bool _ended;

    public StoreRequest Current => call.Current;

    /// <summary>The content's SHA-256 (lowercase hex) once the StoreEnd has matched it; null before.</summary>
    public string? CheckedSha256 { get; private set; }

    /// <summary>Adds content bytes that arrived outside the call's messages (over the data channel).</summary>
    public void Count(ReadOnlySpan<byte> bytes)
    {
        _hash.AppendData(bytes);
        _size += bytes.Length;
    }

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        if (_ended)
        {
            return false;
        }

        if (!await call.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            throw CutOff($"after {_size} bytes");
        }

        var message = call.Current;
        switch (message.PartCase)
        {
            case StoreRequest.PartOneofCase.Chunk:
                Count(message.Chunk.Span);
                return true;
            case StoreRequest.PartOneofCase.End:
                _ended = true;
                Check(message.End);
                await ExpectNothingAfterEndAsync(cancellationToken).ConfigureAwait(false);
                return false;
            default:
                return true;
        }
    }

    /// <summary>
    /// Reads the StoreEnd of a Store whose host writes the content into a file the plugin passed: after the metadata,
    /// the call carries only the marker, which the host sends once it has written the file and closed its descriptor.
    /// </summary>
    public async Task<StoreEnd> ReadPassedFileEndAsync(CancellationToken cancellationToken)
    {
        if (!await call.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            throw CutOff("while the host wrote the content into the passed file");
        }

        if (call.Current.PartCase != StoreRequest.PartOneofCase.End)
        {
            throw FromHost(PluginErrorCode.InvalidArgument, $"The host sent a {call.Current.PartCase} message on a Store whose content it writes into the passed file, where only the StoreEnd may follow the metadata; nothing was stored.");
        }

        _ended = true;
        var end = call.Current.End;
        await ExpectNothingAfterEndAsync(cancellationToken).ConfigureAwait(false);
        return end;
    }

    /// <summary>
    /// Checks a file the host wrote against its StoreEnd, and then takes the StoreEnd's digest as the content's: the host
    /// hashed exactly the bytes it wrote, and nothing stands between its writes and the file that could damage them
    /// (docs/protocol.md, "Writing into the plugin's file").
    /// </summary>
    public void AcceptPassedFile(StoreEnd end, long fileLength)
    {
        if (end.TotalSize != fileLength)
        {
            throw FromHost(PluginErrorCode.InvalidArgument, $"The Store's StoreEnd says {end.TotalSize} bytes, but the host wrote {fileLength} into the passed file; nothing was stored. Send the content again.");
        }

        if (end.Sha256.Length != 64 || !end.Sha256.All(char.IsAsciiHexDigit))
        {
            throw FromHost(PluginErrorCode.InvalidArgument, $"The Store's StoreEnd carries '{end.Sha256}' as the content's SHA-256, which is not 64 hex digits; nothing was stored.");
        }

        CheckedSha256 = end.Sha256.ToLowerInvariant();
    }

    private async Task ExpectNothingAfterEndAsync(CancellationToken cancellationToken)
    {
        if (await call.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            throw FromHost(PluginErrorCode.InvalidArgument, $"The host sent a {call.Current.PartCase} message after the Store's StoreEnd, which must be the last message; nothing was stored.");
        }
    }

    private static PluginException CutOff(string when) =>
        FromHost(PluginErrorCode.Cancelled, $"The Store stream ended {when} without its StoreEnd message, so the upload was cut off; nothing was stored. Send the whole content again.");

    private static PluginException FromHost(PluginErrorCode code, string message) => new(code, message) { ErrorSource = PluginErrorSource.Host };

    private void Check(StoreEnd end)
    {
        var sha256 = Convert.ToHexStringLower(_hash.GetCurrentHash());
        if (end.TotalSize != _size || !string.Equals(end.Sha256, sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw FromHost(PluginErrorCode.InvalidArgument, $"The Store's StoreEnd says {end.TotalSize} bytes with SHA-256 '{end.Sha256}', but {_size} bytes with SHA-256 '{sha256}' arrived; nothing was stored. The content was damaged on the way: send it again.");
        }

        CheckedSha256 = sha256;
    }

    public void Dispose() => _hash.Dispose();

    /// <summary>Wraps data-channel content so that every byte read from it is tallied before the call's end is confirmed.</summary>
    public Stream Tally(Stream content) => new TalliedStream(content, this);

    private sealed class TalliedStream(Stream inner, StoreEndReader tally) : ReadOnlyStream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            tally.Count(buffer.Span[..read]);
            return read;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
