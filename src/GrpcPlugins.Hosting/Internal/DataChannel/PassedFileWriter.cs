using System.Buffers;
using System.Net.Sockets;
using GrpcPlugins.Internal;
using Microsoft.Win32.SafeHandles;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// Writes a Store's content into the file its plugin passed over the data channel (<see cref="DataChannelFiles"/>), from
/// offset 0, so its bytes never cross a socket or the plugin's memory. The plugin still chose and opened the file, and
/// commits it only after the call's StoreEnd, whose size it checks against the file.
/// </summary>
internal static class PassedFileWriter
{
    private const int BadDescriptor = 9; // EBADF: not open for writing
    private const int DiskFull = 28; // ENOSPC
    private const int QuotaExceeded = 122; // EDQUOT

    /// <summary>
    /// Copies <paramref name="source"/> into <paramref name="file"/> until the source ends, or until it has given more
    /// than <paramref name="maxBytes"/> (when not 0): then no more is written or read, and the StoreEnd, counting what was
    /// read, tells the plugin that the content is over its limit.
    /// </summary>
    /// <exception cref="IOException">The plugin closed the data channel meanwhile (it failed or died); its call says why.</exception>
    /// <exception cref="PluginException">The file could not be written: a full disk is ResourceExhausted.</exception>
    public static async Task CopyAsync(Stream source, SafeFileHandle file, long maxBytes, Socket connection, string pluginName, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(DataChannel.CopyBufferSize);
        try
        {
            long written = 0;
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, DataChannel.CopyBufferSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (maxBytes > 0 && written + read > maxBytes)
                {
                    return;
                }

                // The plugin sends nothing after its mode, so a readable connection is a closed one: it gave up or died,
                // and writing on would only fill its disk with a file nobody commits.
                if (connection.Poll(0, SelectMode.SelectRead))
                {
                    throw new IOException($"Plugin '{pluginName}' closed the data channel while the host wrote the Store's content into its file.");
                }

                try
                {
                    // A write into the page cache: cheaper in place than handed to another thread.
                    RandomAccess.Write(file, buffer.AsSpan(0, read), written);
                }
                catch (IOException ex)
                {
                    throw WriteFailed(pluginName, ex);
                }
                catch (NotSupportedException ex)
                {
                    // A pipe, a socket or another descriptor without offsets: the contract asks for a file.
                    throw PluginReplies.Broken(pluginName, $"passed a descriptor for a Store that cannot be written at an offset ({ex.Message}), where the contract asks for an empty file open for writing.");
                }

                written += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // The same error a plugin writing the file itself gives for a full disk (FileSystemStorage's), so callers see no difference.
    private static PluginException WriteFailed(string pluginName, IOException failure) =>
        (failure.HResult & 0xFFFF) is BadDescriptor
            ? PluginReplies.Broken(pluginName, $"passed a descriptor for a Store that is not open for writing ({failure.Message}), where the contract asks for an empty file open for writing.")
        : (failure.HResult & 0xFFFF) is DiskFull or QuotaExceeded
            ? new(PluginErrorCode.ResourceExhausted, $"The disk under plugin '{pluginName}''s storage is full ({failure.Message}); free space or move its storage root.", failure)
            {
                PluginName = pluginName,
                ErrorSource = PluginErrorSource.Downstream,
            }
            : new(PluginErrorCode.Internal, $"The host could not write the Store's content into the file plugin '{pluginName}' passed ({failure.Message}); check the disk under its storage root.", failure)
            {
                PluginName = pluginName,
                ErrorSource = PluginErrorSource.Downstream,
            };
}
