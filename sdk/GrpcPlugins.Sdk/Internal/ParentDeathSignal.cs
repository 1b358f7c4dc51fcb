using System.Globalization;
using System.Runtime.InteropServices;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>
/// On Linux, asks the kernel for SIGTERM when the host dies (PR_SET_PDEATHSIG), so that a plugin exits with its host
/// even when its stdin is not watched or is held open by someone else. SIGTERM stops the plugin as Shutdown would.
/// </summary>
internal static class ParentDeathSignal
{
    private const int SetParentDeathSignal = 1; // PR_SET_PDEATHSIG
    private const int Terminate = 15; // SIGTERM

    /// <summary>
    /// Arms the signal when the host passed its process id. Returns false when the host is already gone: the plugin's
    /// parent is no longer the process that started it, so the signal would never come.
    /// </summary>
    public static bool Arm(string? hostPid)
    {
        if (!OperatingSystem.IsLinux()
            || !int.TryParse(hostPid, NumberStyles.None, CultureInfo.InvariantCulture, out var host)
            || prctl(SetParentDeathSignal, Terminate, 0, 0, 0) != 0)
        {
            return true;
        }

        return getppid() == host;
    }

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SA1300 // The C names.
    private static extern int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [DllImport("libc")]
    private static extern int getppid();
#pragma warning restore SA1300
}
