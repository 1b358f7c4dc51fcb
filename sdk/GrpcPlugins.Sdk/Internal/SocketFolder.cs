namespace GrpcPlugins.Sdk.Internal;

/// <summary>A private folder (mode 0700) holding the plugin's Unix socket, removed when the plugin stops.</summary>
internal sealed class SocketFolder : IDisposable
{
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlySocket = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private SocketFolder(string path)
    {
        Path = path;
        SocketPath = System.IO.Path.Combine(path, "plugin.sock");
    }

    public string Path { get; }

    public string SocketPath { get; }

    public static SocketFolder Create(string baseDir)
    {
        Directory.CreateDirectory(baseDir);
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

    public void RestrictSocket()
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(SocketPath, OwnerOnlySocket);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
