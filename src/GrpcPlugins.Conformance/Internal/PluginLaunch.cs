using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Grpc.Net.Client;
using GrpcPlugins.Internal;

namespace GrpcPlugins.Conformance.Internal;

/// <summary>
/// One plugin process started as a host starts it: the cookie, the protocol versions and a private socket folder in its
/// environment, its handshake line read from stdout, its stdout and stderr drained for its whole life.
/// </summary>
internal sealed partial class PluginLaunch : IAsyncDisposable
{
    private readonly StringBuilder stderr = new();
    private readonly List<string> stdoutBeforeHandshake = [];
    private readonly TaskCompletionSource<string?> handshakeLine = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PluginLaunch(Process process, string socketBase)
    {
        Process = process;
        SocketBase = socketBase;
    }

    public Process Process { get; }

    /// <summary>The folder given to the plugin in PLUGIN_UNIX_SOCKET_DIR, made for this launch only.</summary>
    public string SocketBase { get; }

    public HandshakeLine? Handshake { get; private set; }

    public string HandshakeError { get; private set; } = string.Empty;

    public IReadOnlyList<string> LinesBeforeHandshake => stdoutBeforeHandshake;

    public string Stderr
    {
        get
        {
            lock (stderr)
            {
                return stderr.ToString();
            }
        }
    }

    public GrpcChannel? Channel { get; private set; }

    public static PluginLaunch Start(ConformanceOptions options, bool withCookie, bool watchStdin)
    {
        var socketBase = Path.Combine(Path.GetTempPath(), "gpc-" + Guid.NewGuid().ToString("N")[..8]);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(socketBase);
        }
        else
        {
            Directory.CreateDirectory(socketBase, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var info = new ProcessStartInfo(options.Command)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = options.WorkingDirectory ?? Directory.GetCurrentDirectory(),
        };
        foreach (var argument in options.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // Nothing the kit's own environment carries may stand in for what the check sets.
        info.Environment.Remove(PluginProtocol.MagicCookieKey);
        info.Environment.Remove(PluginProtocol.StdinWatchVariable);
        foreach (var (key, _) in options.Cookies)
        {
            info.Environment.Remove(key);
        }

        foreach (var (key, value) in options.Environment)
        {
            info.Environment[key] = value;
        }

        if (withCookie)
        {
            if (options.Cookies.Count == 0)
            {
                info.Environment[PluginProtocol.MagicCookieKey] = PluginProtocol.MagicCookieValue;
            }

            foreach (var (key, value) in options.Cookies)
            {
                info.Environment[key] = value;
            }
        }

        info.Environment[PluginProtocol.ProtocolVersionsVariable] = string.Join(',', PluginProtocol.AppProtocolVersions);
        info.Environment[PluginProtocol.UnixSocketDirVariable] = socketBase;
        info.Environment[PluginProtocol.MinPortVariable] = "10000";
        info.Environment[PluginProtocol.MaxPortVariable] = "25000";
        if (watchStdin)
        {
            info.Environment[PluginProtocol.StdinWatchVariable] = "1";
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start '{options.Command}'.");
        var launch = new PluginLaunch(process, socketBase);
        _ = launch.DrainStdoutAsync();
        _ = launch.DrainStderrAsync();
        return launch;
    }

    /// <summary>Waits for the handshake line; false when the process exited or printed none in time.</summary>
    public async Task<bool> WaitForHandshakeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        string? line;
        try
        {
            line = await handshakeLine.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            HandshakeError = $"no handshake line on stdout within {timeout.TotalSeconds:0} s";
            return false;
        }

        if (line is null)
        {
            HandshakeError = "the plugin closed stdout without a handshake line";
            return false;
        }

        if (!HandshakeLine.TryParse(line, out var handshake, out var error))
        {
            HandshakeError = $"the handshake line '{line}' is malformed: {error}";
            return false;
        }

        Handshake = handshake;
        Channel = CreateChannel(handshake!);
        return true;
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await Process.WaitForExitAsync(cancellationToken).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Sends SIGTERM (Unix), as a service manager or a host's graceful stop does.</summary>
    public void Terminate()
    {
        if (OperatingSystem.IsWindows())
        {
            Process.Kill();
            return;
        }

        _ = Kill(Process.Id, 15);
    }

    public async ValueTask DisposeAsync()
    {
        Channel?.Dispose();
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                await Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // Already gone, or not stopping: nothing more this kit can do.
        }

        Process.Dispose();
        try
        {
            Directory.Delete(SocketBase, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static GrpcChannel CreateChannel(HandshakeLine handshake)
    {
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        if (handshake.Network == HandshakeLine.UnixNetwork)
        {
            handler.ConnectCallback = UnixSocketConnector.For(handshake.Address);
            return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 64 * 1024 * 1024 });
        }

        return GrpcChannel.ForAddress("http://" + handshake.Address, new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 64 * 1024 * 1024 });
    }

    private async Task DrainStdoutAsync()
    {
        try
        {
            while (await Process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (handshakeLine.Task.IsCompleted)
                {
                    continue;
                }

                // A library may print a banner first; a host skips lines that cannot be a handshake, and so does the kit.
                if (line.Count(c => c == '|') >= 3)
                {
                    handshakeLine.TrySetResult(line);
                }
                else
                {
                    stdoutBeforeHandshake.Add(line);
                }
            }
        }
        catch (IOException)
        {
        }

        handshakeLine.TrySetResult(null);
    }

    private async Task DrainStderrAsync()
    {
        try
        {
            var buffer = new char[4096];
            int read;
            while ((read = await Process.StandardError.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                lock (stderr)
                {
                    if (stderr.Length < 64 * 1024)
                    {
                        stderr.Append(buffer, 0, read);
                    }
                }
            }
        }
        catch (IOException)
        {
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
