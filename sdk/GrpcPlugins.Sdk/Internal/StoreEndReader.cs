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
            throw new PluginException(
                PluginErrorCode.Cancelled,
                $"The Store stream ended after {_size} bytes without its StoreEnd message, so the upload was cut off; nothing was stored. Send the whole content again.")
            {
                ErrorSource = PluginErrorSource.Host,
            };
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
                if (await call.MoveNext(cancellationToken).ConfigureAwait(false))
                {
                    throw new PluginException(
                        PluginErrorCode.InvalidArgument,
                        $"The host sent a {call.Current.PartCase} message after the Store's StoreEnd, which must be the last message; nothing was stored.")
                    {
                        ErrorSource = PluginErrorSource.Host,
                    };
                }

                return false;
            default:
                return true;
        }
    }

    private void Check(StoreEnd end)
    {
        var sha256 = Convert.ToHexStringLower(_hash.GetCurrentHash());
        if (end.TotalSize != _size || !string.Equals(end.Sha256, sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new PluginException(
                PluginErrorCode.InvalidArgument,
                $"The Store's StoreEnd says {end.TotalSize} bytes with SHA-256 '{end.Sha256}', but {_size} bytes with SHA-256 '{sha256}' arrived; nothing was stored. The content was damaged on the way: send it again.")
            {
                ErrorSource = PluginErrorSource.Host,
            };
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
