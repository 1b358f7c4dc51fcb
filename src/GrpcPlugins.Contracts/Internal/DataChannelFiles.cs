using System.Buffers.Binary;
using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;

namespace GrpcPlugins.Internal;

/// <summary>
/// The file mode of a data channel (docs/protocol.md, "Passing the file" and "Writing into the plugin's file"). When
/// the host asked for it (<see cref="PluginProtocol.DataChannelFilesHeader"/>) of a plugin that declares the capability
/// for that call (<c>CAPABILITY_DATA_CHANNEL_FILES</c> for Retrieve, <c>CAPABILITY_DATA_CHANNEL_STORE_FILES</c> for Store),
/// the plugin's first byte on the connection is a mode: <see cref="BytesMode"/>, and the content's bytes flow as usual;
/// or <see cref="FileMode"/>, carrying an open descriptor of the plugin's file (SCM_RIGHTS). On a Retrieve the
/// descriptor is readable and two little-endian 64-bit integers follow, the offset and the length of the content within
/// it; the host reads the content from the file itself. On a Store it is writable and one such integer follows, the most
/// bytes the plugin takes (0 for no limit); the host writes the content into it from offset 0. Nothing else follows
/// from the plugin, and the call's clean end still confirms the content, as for bytes.
/// </summary>
internal static class DataChannelFiles
{
    /// <summary>The content's bytes follow on the connection.</summary>
    public const byte BytesMode = 0;

    /// <summary>A descriptor came with this byte; the numbers of the call's mode follow.</summary>
    public const byte FileMode = 1;

    private const int NumberLength = 8;

    /// <summary>Sends a Retrieve's file mode: the readable descriptor, then the content's place in the file.</summary>
    public static void SendFile(Socket socket, SafeFileHandle file, long offset, long length) => Send(socket, file, offset, length);

    /// <summary>Sends a Store's file mode: the writable descriptor, then the most bytes the plugin takes (0: no limit).</summary>
    public static void SendWritableFile(Socket socket, SafeFileHandle file, long maxBytes) => Send(socket, file, maxBytes);

    /// <summary>Sends the bytes mode; the content follows.</summary>
    public static ValueTask SendBytesModeAsync(Socket socket, CancellationToken cancellationToken) =>
        DataChannel.SendAllAsync(socket, new byte[] { BytesMode }, cancellationToken);

    /// <summary>
    /// Reads a Retrieve's mode. Null when the plugin sent bytes (or ended the connection before any: an empty content);
    /// else the file and the content's place in it, which the caller then owns.
    /// </summary>
    /// <exception cref="InvalidDataException">The mode is unknown, or the file mode came without a descriptor or its range.</exception>
    /// <exception cref="SocketException">The connection failed.</exception>
    public static async Task<(SafeFileHandle File, long Offset, long Length)?> ReceiveModeAsync(Socket socket, CancellationToken cancellationToken)
    {
        if (await ReceiveAsync(socket, 2, cancellationToken).ConfigureAwait(false) is not { } passed)
        {
            return null;
        }

        var (offset, length) = (passed.Numbers[0], passed.Numbers[1]);
        if (offset < 0 || length < 0)
        {
            passed.File.Dispose();
            throw new InvalidDataException($"A passed file's offset ({offset}) and length ({length}) must not be negative.");
        }

        return (passed.File, offset, length);
    }

    /// <summary>
    /// Reads a Store's mode. Null when the plugin takes the bytes (or ended the connection before saying: the call's
    /// status then says why); else the writable file and the most bytes the plugin takes (0: no limit), which the
    /// caller then owns.
    /// </summary>
    /// <exception cref="InvalidDataException">The mode is unknown, or the file mode came without a descriptor or its limit.</exception>
    /// <exception cref="SocketException">The connection failed.</exception>
    public static async Task<(SafeFileHandle File, long MaxBytes)?> ReceiveStoreModeAsync(Socket socket, CancellationToken cancellationToken)
    {
        if (await ReceiveAsync(socket, 1, cancellationToken).ConfigureAwait(false) is not { } passed)
        {
            return null;
        }

        var maxBytes = passed.Numbers[0];
        if (maxBytes < 0)
        {
            passed.File.Dispose();
            throw new InvalidDataException($"A passed file's limit ({maxBytes} bytes) must not be negative.");
        }

        return (passed.File, maxBytes);
    }

    private static void Send(Socket socket, SafeFileHandle file, params ReadOnlySpan<long> numbers)
    {
        Span<byte> message = stackalloc byte[1 + (2 * NumberLength)];
        message[0] = FileMode;
        for (var i = 0; i < numbers.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(message[(1 + (i * NumberLength))..], numbers[i]);
        }

        UnixRights.Send(socket, message[..(1 + (numbers.Length * NumberLength))], file);
    }

    // The mode byte, and for the file mode its descriptor and the numbers after it; null for the bytes mode or an early end.
    private static async Task<(SafeFileHandle File, long[] Numbers)?> ReceiveAsync(Socket socket, int numbers, CancellationToken cancellationToken)
    {
        var mode = new byte[1];
        int read;
        SafeFileHandle? file;
        do
        {
            // A zero-byte receive waits until the socket is readable without taking any byte, so that recvmsg can take
            // the first byte together with the descriptor attached to it.
            await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            read = UnixRights.TryReceive(socket, mode, out file);
        }
        while (read < 0);

        if (read == 0 || (mode[0] == BytesMode && file is null))
        {
            file?.Dispose();
            return null;
        }

        if (mode[0] != FileMode || file is null)
        {
            file?.Dispose();
            throw new InvalidDataException($"The data channel began with mode {mode[0]}{(file is null ? " without" : " with")} a file descriptor; only {BytesMode} (bytes follow) or {FileMode} with a descriptor are valid.");
        }

        try
        {
            var bytes = new byte[numbers * NumberLength];
            for (var filled = 0; filled < bytes.Length;)
            {
                var got = await socket.ReceiveAsync(bytes.AsMemory(filled), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (got == 0)
                {
                    throw new InvalidDataException($"The data channel ended after {filled} of the {bytes.Length} bytes that follow a passed file's descriptor.");
                }

                filled += got;
            }

            var values = new long[numbers];
            for (var i = 0; i < numbers; i++)
            {
                values[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(i * NumberLength));
            }

            return (file, values);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }
}
