namespace HttpProtocol.Internal;

/// <summary>Reading whole pieces from network streams, which hand out bytes in whatever sizes arrive.</summary>
internal static class StreamReading
{
    /// <summary>Reads until the buffer is full or the stream ends, and returns how many bytes were read.</summary>
    public static async Task<int> ReadFullAsync(this Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer[total..], cancellationToken);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }
}
