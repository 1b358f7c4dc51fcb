using System.Net.Sockets;
using GrpcPlugins.Internal;
using Microsoft.Win32.SafeHandles;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// The content of a Retrieve whose plugin passed its file over the data channel (<see cref="DataChannelFiles"/>): read
/// straight from the file at the range the plugin named, so its bytes are never copied through the plugin or a socket.
/// As with bytes, the content ends only after the call beside it has ended cleanly; a file shorter than the range the
/// plugin named is the plugin's failure.
/// </summary>
internal sealed class DataChannelFileStream(SafeFileHandle file, long offset, long length, Socket connection, DataChannelEnd end, Func<long, Exception> shortFile)
    : ReadOnlyStream
{
    private long _read;
    private bool _ended;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty || _ended)
        {
            return 0;
        }

        if (_read == length)
        {
            await end.ConfirmAsync(cancellationToken).ConfigureAwait(false);
            _ended = true;
            return 0;
        }

        var want = (int)Math.Min(buffer.Length, length - _read);
        var read = await RandomAccess.ReadAsync(file, buffer[..want], offset + _read, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            // The call's own error, if it failed, says more than the short file does.
            await end.ConfirmAsync(cancellationToken).ConfigureAwait(false);
            throw shortFile(_read);
        }

        _read += read;
        return read;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            file.Dispose();
            connection.Dispose();
        }

        base.Dispose(disposing);
    }
}
