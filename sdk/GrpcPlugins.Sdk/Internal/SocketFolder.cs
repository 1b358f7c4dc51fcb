using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>A private folder (mode 0700) holding the plugin's Unix socket, removed when the plugin stops.</summary>
internal sealed partial class SocketFolder : IDisposable
{
    private const string SocketName = "plugin.sock";
    private const string DataSocketName = "data.sock";

    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlySocket = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private SocketFolder(string path)
    {
        Path = path;
        SocketPath = System.IO.Path.Combine(path, SocketName);
        DataSocketPath = System.IO.Path.Combine(path, DataSocketName);
    }

    public string Path { get; }

    public string SocketPath { get; }

    public string DataSocketPath { get; }

    public static SocketFolder Create(string baseDir)
    {
        Directory.CreateDirectory(baseDir);
        RemoveStale(baseDir);
        // The name is unpredictable and the folder private before the socket exists, so no other user can reach it.
        var path = System.IO.Path.Combine(baseDir, $"plugin-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, OwnerOnlyFolder);
        }

        return new SocketFolder(path);
    }

    /// <summary>
    /// Removes the folders that killed plugins left behind: named as this class names them, holding at most a socket,
    /// and whose process is gone. A folder whose process id is in use again is left alone, to be safe.
    /// </summary>
    /// <returns>How many folders were removed.</returns>
    public static int RemoveStale(string baseDir)
    {
        var removed = 0;
        foreach (var folder in Directory.EnumerateDirectories(baseDir, "plugin-*"))
        {
            var match = FolderName().Match(System.IO.Path.GetFileName(folder));
            if (!match.Success
                || !int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || IsRunning(pid))
            {
                continue;
            }

            try
            {
                if (Directory.EnumerateFileSystemEntries(folder).All(entry => System.IO.Path.GetFileName(entry) is SocketName or DataSocketName))
                {
                    Directory.Delete(folder, recursive: true);
                    removed++;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another user's folder, or one being removed right now: not ours to clean.
            }
        }

        return removed;
    }

    public void RestrictSocket()
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(SocketPath, OwnerOnlySocket);
        }
    }

    public void Dispose()
    {
        // The socket file may vanish under a recursive delete (Kestrel unlinks it, or a starting plugin removes the
        // folder of one it takes for dead), which fails that attempt; a few tries leave no folder behind.
        for (var attempt = 0; attempt < 3 && Directory.Exists(Path); attempt++)
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                Thread.Sleep(20);
            }
            catch (UnauthorizedAccessException)
            {
                return;
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    [GeneratedRegex("^plugin-([0-9]+)-[0-9a-f]+$")]
    private static partial Regex FolderName();
}
