using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace GrpcPlugins.Internal;

/// <summary>
/// Passes an open file descriptor over a connected Unix socket (SCM_RIGHTS), as a storage plugin's data channel does
/// when the host reads a download straight from the plugin's file. .NET's <see cref="Socket"/> exposes no ancillary data
/// on Unix sockets (ReceiveMessageFrom carries only packet information), so this calls libc's sendmsg and recvmsg; the
/// struct layouts are Linux's on 64-bit, the only platform <see cref="IsSupported"/> admits.
/// </summary>
internal static partial class UnixRights
{
    private const int SolSocket = 1;
    private const int ScmRights = 1;
    private const int MsgDontWait = 0x40;
    private const int MsgCmsgCloexec = 0x40000000;
    private const int EAgain = 11;
    private const int EIntr = 4;

    // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } then the data, aligned to 8 bytes.
    private const int CmsgHeader = 16;
    private const int CmsgSpaceOneFd = CmsgHeader + 8;
    private const int CmsgLenOneFd = CmsgHeader + sizeof(int);

    /// <summary>Whether this platform can pass descriptors here: Linux, 64-bit.</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux() && IntPtr.Size == 8;

    /// <summary>Sends <paramref name="data"/> (at least one byte) with <paramref name="file"/> attached to its first byte.</summary>
    /// <exception cref="SocketException">The socket failed (the other side closed, say).</exception>
    public static unsafe void Send(Socket socket, ReadOnlySpan<byte> data, SafeHandle file)
    {
        var added = false;
        file.DangerousAddRef(ref added);
        try
        {
            var control = stackalloc byte[CmsgSpaceOneFd];
            new Span<byte>(control, CmsgSpaceOneFd).Clear();
            *(nint*)control = CmsgLenOneFd;
            *(int*)(control + 8) = SolSocket;
            *(int*)(control + 12) = ScmRights;
            *(int*)(control + CmsgHeader) = (int)file.DangerousGetHandle();
            fixed (byte* bytes = data)
            {
                var sent = 0;
                while (sent < data.Length)
                {
                    var iov = new IoVec { Base = (nint)(bytes + sent), Length = data.Length - sent };
                    // The descriptor rides on the first sendmsg only.
                    var header = new MsgHdr { Iov = (nint)(&iov), IovLen = 1, Control = sent == 0 ? (nint)control : 0, ControlLen = sent == 0 ? CmsgSpaceOneFd : 0 };
                    var result = sendmsg(socket.Handle, &header, 0);
                    if (result >= 0)
                    {
                        sent += (int)result;
                        continue;
                    }

                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == EAgain)
                    {
                        // The socket is non-blocking (.NET makes it so) and its buffer is full: wait until it can take more.
                        socket.Poll(TimeSpan.FromSeconds(1), SelectMode.SelectWrite);
                    }
                    else if (errno != EIntr)
                    {
                        throw new SocketException(errno);
                    }
                }
            }
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Receives up to <paramref name="data"/>'s length of bytes that are ready, and the descriptor attached to them if
    /// any (close-on-exec, so plugin processes the host starts never inherit it).
    /// </summary>
    /// <returns>The bytes received (0 at the end of the stream), or -1 when none are ready yet.</returns>
    /// <exception cref="SocketException">The socket failed.</exception>
    public static unsafe int TryReceive(Socket socket, Span<byte> data, out SafeFileHandle? file)
    {
        file = null;
        var control = stackalloc byte[CmsgSpaceOneFd];
        fixed (byte* bytes = data)
        {
            while (true)
            {
                new Span<byte>(control, CmsgSpaceOneFd).Clear();
                var iov = new IoVec { Base = (nint)bytes, Length = data.Length };
                var header = new MsgHdr { Iov = (nint)(&iov), IovLen = 1, Control = (nint)control, ControlLen = CmsgSpaceOneFd };
                var result = recvmsg(socket.Handle, &header, MsgDontWait | MsgCmsgCloexec);
                if (result < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == EIntr)
                    {
                        continue;
                    }

                    return errno == EAgain ? -1 : throw new SocketException(errno);
                }

                if (header.ControlLen >= CmsgLenOneFd && *(int*)(control + 8) == SolSocket && *(int*)(control + 12) == ScmRights)
                {
                    file = new SafeFileHandle(*(int*)(control + CmsgHeader), ownsHandle: true);
                }

                return (int)result;
            }
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint sendmsg(nint socket, MsgHdr* message, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint recvmsg(nint socket, MsgHdr* message, int flags);

    // struct msghdr and struct iovec of 64-bit Linux; sequential layout pads msg_namelen to 8 bytes as C does.
    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public nint Name;
        public int NameLength;
        public nint Iov;
        public nint IovLen;
        public nint Control;
        public nint ControlLen;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public nint Base;
        public nint Length;
    }
}
