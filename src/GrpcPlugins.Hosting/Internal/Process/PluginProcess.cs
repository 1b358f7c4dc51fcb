using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// One plugin process: started with the protocol's environment (and, on Linux, a death signal: see
/// <see cref="ProcessSpawner"/>), its stdout read for the handshake, its stdout and stderr then forwarded to the log for
/// its whole life (the last stderr lines kept for error messages), and its stdin held open so that it exits when the host
/// goes away.
/// </summary>
internal sealed class PluginProcess : IPluginEndpoint
{
    private const int MaxStrayLines = 100;
    private const int StderrTailLines = 20;

    private readonly Process _process;
    private readonly string _name;
    private readonly ILogger _logger;
    private readonly Queue<string> _stderrTail = new();
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SandboxLease? _sandbox;
    private Task _stderrPump = Task.CompletedTask;
    private string? _exitReason;

    private PluginProcess(Process process, string name, ILogger logger, SandboxLease? sandbox)
    {
        _process = process;
        _name = name;
        _logger = logger;
        _sandbox = sandbox;
    }

    /// <summary>How the process's sandbox is enforced; <see cref="SandboxReport.None"/> when it declares none.</summary>
    public SandboxReport Sandbox => _sandbox?.Report ?? SandboxReport.None;

    public int Id { get; private set; }

    public string? RemoteAddress => null;

    /// <summary>Completes with the exit code when the process exits.</summary>
    public Task<int> Exited => _exited.Task;

    public string StderrTail
    {
        get
        {
            lock (_stderrTail)
            {
                return string.Join(Environment.NewLine, _stderrTail);
            }
        }
    }

    /// <param name="startInfo">What to start.</param>
    /// <param name="name">The plugin's name.</param>
    /// <param name="logger">Where its output goes.</param>
    /// <param name="sandbox">Its sandbox, owned by the process from here on (released once it is gone); null for none.</param>
    public static async Task<PluginProcess> StartAsync(ProcessStartInfo startInfo, string name, ILogger logger, SandboxLease? sandbox = null)
    {
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var plugin = new PluginProcess(process, name, logger, sandbox);
        process.Exited += (_, _) => plugin.OnExited();
        try
        {
            await ProcessSpawner.StartAsync(process, noNewPrivileges: sandbox is not null).ConfigureAwait(false);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            sandbox?.Dispose();
            throw PluginException.FromHost(
                PluginErrorCode.FailedPrecondition,
                $"Could not start plugin '{name}': '{startInfo.FileName}' could not be run ({ex.Message}). Check the plugin's Command and that the file exists and is executable.",
                name,
                ex);
        }

        plugin.Id = process.Id;
        plugin._stderrPump = plugin.PumpStderrAsync();
        return plugin;
    }

    /// <summary>
    /// Reads stdout until the handshake line. Stray lines before it are logged and skipped; end of output
    /// or the timeout fail with a message that says what the plugin did instead.
    /// </summary>
    public async Task<HandshakeLine> ReadHandshakeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        var stray = 0;
        var lastStray = string.Empty;
        try
        {
            while (true)
            {
                var line = await _process.StandardOutput.ReadLineAsync(timer.Token).ConfigureAwait(false);
                if (line is null)
                {
                    throw await ExitedBeforeHandshakeAsync(lastStray).ConfigureAwait(false);
                }

                if (HandshakeLine.TryParse(line, out var handshake, out var reason))
                {
                    _ = PumpStdoutAsync();
                    return handshake!;
                }

                HostingLog.StrayStdout(_logger, _name, Shorten(line), reason);
                lastStray = $" It printed {stray + 1} line(s) on stdout that are not a handshake; the last was '{Shorten(line)}': {reason}.";
                if (++stray >= MaxStrayLines)
                {
                    throw Failure(PluginErrorCode.FailedPrecondition, $"printed {MaxStrayLines} lines on stdout without a handshake line. The last said: '{Shorten(line)}' ({reason}). Is this a GrpcPlugins or go-plugin gRPC plugin?");
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Failure(PluginErrorCode.Timeout, $"did not print its handshake line within {timeout.TotalSeconds:0.#} s. Check that it calls PluginServer.RunAsync (or go-plugin's Serve), or raise StartTimeout.{lastStray}");
        }
    }

    /// <summary>
    /// Why the process ended, once it has: "exited with code N", or where its sandbox caused it, what the kernel said
    /// ("memory limit of 128 MiB exceeded: the kernel killed it (exit code 137)"). The exit-reason classifier that
    /// supervision asks.
    /// </summary>
    public string DescribeExit() =>
        Exited.IsCompleted ? _exitReason ?? $"exited with code {Exited.Result}" : "is still running";

    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Already exiting.
        }
    }

    /// <summary>Closes the plugin's stdin, which tells a GrpcPlugins plugin that its host is gone.</summary>
    public void CloseStdin()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            // Already closed, or the process is gone.
        }
    }

    public PluginException Failure(PluginErrorCode code, string what)
    {
        var tail = StderrTail;
        var message = $"Plugin '{_name}' (process {Id}) {what}";
        if (tail.Length > 0)
        {
            message += $"{Environment.NewLine}Its last stderr lines:{Environment.NewLine}{tail}";
        }

        return new PluginException(code, message) { ErrorSource = PluginErrorSource.Plugin, PluginName = _name };
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await Task.WhenAny(Exited, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        await Task.WhenAny(_stderrPump, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        _process.Dispose();
        _sandbox?.Dispose();
    }

    private async Task<PluginException> ExitedBeforeHandshakeAsync(string lastStray)
    {
        var exit = await Task.WhenAny(Exited, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        // Let the last stderr lines arrive, since they usually say why.
        await Task.WhenAny(_stderrPump, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        var how = exit == Exited ? DescribeExit() : "closed its stdout";
        return Failure(PluginErrorCode.Unavailable, $"{how} before printing its handshake line.{lastStray}");
    }

    private async Task PumpStderrAsync()
    {
        var log = new PluginLogLine(_logger, _name, Id);
        try
        {
            var next = _process.StandardError.ReadLineAsync();
            while (true)
            {
                // A crash report is complete when the process exits (end of stderr) or, if it lingers, when it goes quiet.
                if (log.CollectingCrashReport && await Task.WhenAny(next, Task.Delay(PluginLogLine.CrashReportQuiet)).ConfigureAwait(false) != next)
                {
                    log.Flush();
                }

                if (await next.ConfigureAwait(false) is not { } line)
                {
                    break;
                }

                lock (_stderrTail)
                {
                    _stderrTail.Enqueue(line);
                    if (_stderrTail.Count > StderrTailLines)
                    {
                        _stderrTail.Dequeue();
                    }
                }

                log.Forward(line);
                next = _process.StandardError.ReadLineAsync();
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The process is gone; nothing more to read.
        }
        finally
        {
            log.Flush();
        }
    }

    // After the handshake, stdout is drained for the plugin's whole life, or a chatty plugin would block on a full pipe
    // (64 KiB on Linux); its lines are logged as stderr's are, JSON log lines and crash reports included.
    private async Task PumpStdoutAsync()
    {
        var log = new PluginLogLine(_logger, _name, Id);
        try
        {
            while (await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                log.Forward(line);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
        finally
        {
            log.Flush();
        }
    }

    private void OnExited()
    {
        int code;
        try
        {
            code = _process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            code = -1;
        }

        // Asked now, while the sandbox's groups still hold the kernel's counters.
        _exitReason = _sandbox?.ExitReason(code);
        _exited.TrySetResult(code);
    }

    private static string Shorten(string line) => line.Length <= 200 ? line : line[..200] + "...";
}
