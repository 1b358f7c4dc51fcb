using System.Buffers.Binary;
using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;

namespace GrpcPlugins.Internal;

/// <summary>
/// The file mode of a Retrieve's data channel (docs/protocol.md, "Passing the file"). When the host asked for it
/// (<see cref="PluginProtocol.DataChannelFilesHeader"/>) of a plugin that declares <c>CAPABILITY_DATA_CHANNEL_FILES</c>,
/// the plugin's first byte on the connection is a mode: <see cref="BytesMode"/>, and the content's bytes follow as
/// usual; or <see cref="FileMode"/>, carrying an open, readable descriptor of the file (SCM_RIGHTS), followed by the
/// offset and the length of the content within it (two little-endian 64-bit integers) and nothing else. The host then
/// reads the content from the file itself; the call's clean end still confirms it, as for bytes.
/// </summary>
internal static class DataChannelFiles
{
    /// <summary>The content's bytes follow on the connection.</summary>
    public const byte BytesMode = 0;

    /// <summary>A descriptor came with this byte; offset and length follow.</summary>
    public const byte FileMode = 1;

    private const int RangeLength = 16;

    /// <summary>Sends the file mode: the descriptor, then the content's place in the file.</summary>
    public static void SendFile(Socket socket, SafeFileHandle file, long offset, long length)
    {
        Span<byte> message = stackalloc byte[1 + RangeLength];
        message[0] = FileMode;
        BinaryPrimitives.WriteInt64LittleEndian(message[1..], offset);
        BinaryPrimitives.WriteInt64LittleEndian(message[9..], length);
        UnixRights.Send(socket, message, file);
    }

    /// <summary>Sends the bytes mode; the content follows.</summary>
    public static ValueTask SendBytesModeAsync(Socket socket, CancellationToken cancellationToken) =>
        DataChannel.SendAllAsync(socket, new byte[] { BytesMode }, cancellationToken);

    /// <summary>
    /// Reads the mode. Null when the plugin sent bytes (or ended the connection before any: an empty content); else the
    /// file and the content's place in it, which the caller then owns.
    /// </summary>
    /// <exception cref="InvalidDataException">The mode is unknown, or the file mode came without a descriptor or its range.</exception>
    /// <exception cref="SocketException">The connection failed.</exception>
    public static async Task<(SafeFileHandle File, long Offset, long Length)?> ReceiveModeAsync(Socket socket, CancellationToken cancellationToken)
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

        if (read == 0)
        {
            return null;
        }

        if (mode[0] == BytesMode && file is null)
        {
            return null;
        }

        if (mode[0] != FileMode || file is null)
        {
            file?.Dispose();
            throw new InvalidDataException($"The data channel began with mode {mode[0]}{(file is null ? " without" : " with")} a file descriptor; only {BytesMode} (bytes follow) or {FileMode} with a descriptor are valid.");
        }

        try
        {
            var range = new byte[RangeLength];
            for (var filled = 0; filled < range.Length;)
            {
                var got = await socket.ReceiveAsync(range.AsMemory(filled), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (got == 0)
                {
                    throw new InvalidDataException($"The data channel ended after {filled} of the {RangeLength} bytes of a passed file's offset and length.");
                }

                filled += got;
            }

            var offset = BinaryPrimitives.ReadInt64LittleEndian(range);
            var length = BinaryPrimitives.ReadInt64LittleEndian(range.AsSpan(8));
            if (offset < 0 || length < 0)
            {
                throw new InvalidDataException($"A passed file's offset ({offset}) and length ({length}) must not be negative.");
            }

            return (file, offset, length);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }
}
