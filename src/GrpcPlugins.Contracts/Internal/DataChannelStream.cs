using System.Buffers;
using System.Net.Sockets;

namespace GrpcPlugins.Internal;

/// <summary>
/// The content of a Store or Retrieve call read from a data-channel connection. The bytes come over the raw socket, but
/// the gRPC call beside it is the authority on how the transfer ended: the end of the socket is reported as the end of
/// the content only after <see cref="DataChannelEnd.ConfirmAsync"/> has seen the call complete cleanly, so a sender that
/// died or gave up half-way never looks like a short but complete content.
/// </summary>
internal sealed class DataChannelStream(Socket socket, DataChannelEnd end) : ReadOnlyStream
{
    private bool _ended;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty || _ended)
        {
            return 0;
        }

        int read;
        try
        {
            read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw await end.ExplainAsync(ex).ConfigureAwait(false);
        }

        if (read == 0)
        {
            await end.ConfirmAsync(cancellationToken).ConfigureAwait(false);
            _ended = true;
        }

        return read;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            socket.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>How the gRPC call beside a data-channel connection says the content ended.</summary>
internal abstract class DataChannelEnd
{
    /// <summary>Returns when the sender completed its call cleanly after the last byte; throws its error otherwise.</summary>
    public abstract ValueTask ConfirmAsync(CancellationToken cancellationToken);

    /// <summary>The error to report when the connection itself failed: usually the call's own, which says why.</summary>
    public abstract ValueTask<Exception> ExplainAsync(SocketException failure);
}

/// <summary>Sends content over a data-channel connection.</summary>
internal static class DataChannel
{
    /// <summary>The size of each read from the source and each send on the socket.</summary>
    public const int CopyBufferSize = 256 * 1024;

    /// <summary>
    /// Copies <paramref name="source"/> (to its end, or <paramref name="maxBytes"/>) to <paramref name="socket"/>. A failure
    /// to read the source propagates as it is; a failure to send, which means the other side closed, is a <see cref="SocketException"/>.
    /// </summary>
    /// <returns>The number of bytes sent.</returns>
    public static async Task<long> SendAsync(Stream source, Socket socket, long? maxBytes, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            long total = 0;
            while (maxBytes is null || total < maxBytes)
            {
                var want = (int)Math.Min(buffer.Length, (maxBytes ?? long.MaxValue) - total);
                var read = await source.ReadAsync(buffer.AsMemory(0, want), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                await SendAllAsync(socket, buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                total += read;
            }

            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Sends every byte of <paramref name="bytes"/>.</summary>
    public static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await socket.SendAsync(bytes, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            bytes = bytes[sent..];
        }
    }
}

/// <summary>The token that pairs a data-channel connection with its gRPC call.</summary>
internal static class DataChannelToken
{
    /// <summary>A new unguessable token: 16 random bytes as 32 lowercase hex digits.</summary>
    public static string New() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(PluginProtocol.DataChannelTokenLength / 2));

    /// <summary>Whether <paramref name="token"/> has a token's form.</summary>
    public static bool IsValid(string? token) =>
        token is { Length: PluginProtocol.DataChannelTokenLength } && token.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
