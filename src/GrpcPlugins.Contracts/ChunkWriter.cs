using Google.Protobuf;
using Grpc.Core;

namespace GrpcPlugins;

/// <summary>Copies a <see cref="Stream"/> into a gRPC message stream as chunk messages.</summary>
public static class ChunkWriter
{
    /// <summary>The chunk size used when none is given: 64 KiB, which keeps each buffer out of the large object heap.</summary>
    public const int DefaultChunkSize = 64 * 1024;

    /// <summary>
    /// Reads <paramref name="source"/> to its end (or for <paramref name="maxBytes"/>) and writes each piece as one message.
    /// Each chunk gets its own buffer that the message then owns, so no byte is copied twice.
    /// </summary>
    /// <typeparam name="TMessage">The message type of the gRPC stream.</typeparam>
    /// <param name="source">The content to send.</param>
    /// <param name="writer">The gRPC stream to write to.</param>
    /// <param name="wrap">Makes a message from a chunk.</param>
    /// <param name="chunkSize">The largest chunk, in bytes. Defaults to <see cref="DefaultChunkSize"/>.</param>
    /// <param name="maxBytes">The most bytes to copy; null copies to the end.</param>
    /// <param name="cancellationToken">Stops the copy.</param>
    /// <returns>The number of bytes written.</returns>
    public static async Task<long> CopyAsync<TMessage>(
        Stream source,
        IAsyncStreamWriter<TMessage> writer,
        Func<ByteString, TMessage> wrap,
        int chunkSize = DefaultChunkSize,
        long? maxBytes = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(wrap);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        long total = 0;
        while (maxBytes is null || total < maxBytes)
        {
            var want = (int)Math.Min(chunkSize, (maxBytes ?? long.MaxValue) - total);
            var buffer = new byte[want];
            var filled = await FillAsync(source, buffer, cancellationToken).ConfigureAwait(false);
            if (filled == 0)
            {
                break;
            }

            var chunk = UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(0, filled));
            await writer.WriteAsync(wrap(chunk), cancellationToken).ConfigureAwait(false);
            total += filled;
            if (filled < want)
            {
                break;
            }
        }

        return total;
    }

    // Fills the buffer as far as the source allows, so that chunks are full-sized even from sources that return short reads.
    private static async Task<int> FillAsync(Stream source, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await source.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return filled;
    }
}
