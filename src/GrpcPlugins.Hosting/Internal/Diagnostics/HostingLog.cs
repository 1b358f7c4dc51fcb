using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Hosting.Internal;

internal static partial class HostingLog
{
    [LoggerMessage(1, LogLevel.Information, "Starting plugin {Plugin}: {Command}")]
    public static partial void Starting(ILogger logger, string plugin, string command);

    [LoggerMessage(2, LogLevel.Warning, "Plugin {Plugin} printed a line on stdout that is not a handshake; skipped: {Line} ({Reason})")]
    public static partial void StrayStdout(ILogger logger, string plugin, string line, string reason);

    [LoggerMessage(3, LogLevel.Information, "Plugin {Plugin} {Version} ({Type}) is running as process {Pid} on {Network} {Address}, API v{AppVersion}")]
    public static partial void Started(ILogger logger, string plugin, string version, string type, int pid, string network, string address, int appVersion);

    [LoggerMessage(4, LogLevel.Information, "[{Plugin}] {Line}")]
    public static partial void PluginStderr(ILogger logger, string plugin, string line);

    [LoggerMessage(5, LogLevel.Information, "Stopping plugin {Plugin} (process {Pid})")]
    public static partial void Stopping(ILogger logger, string plugin, int pid);

    [LoggerMessage(6, LogLevel.Warning, "Plugin {Plugin} did not exit within {GracePeriod} of Shutdown; killing process {Pid}")]
    public static partial void Killing(ILogger logger, string plugin, System.TimeSpan gracePeriod, int pid);

    [LoggerMessage(7, LogLevel.Warning, "Plugin {Plugin} exited with code {ExitCode}")]
    public static partial void Exited(ILogger logger, string plugin, int exitCode);

    [LoggerMessage(8, LogLevel.Debug, "Shutdown call to plugin {Plugin} failed: {Error}")]
    public static partial void ShutdownCallFailed(ILogger logger, string plugin, string error);

    [LoggerMessage(9, LogLevel.Error, "Plugin {Plugin} failed to start: {Error}")]
    public static partial void StartFailed(ILogger logger, string plugin, string error);

    [LoggerMessage(10, LogLevel.Warning, "Plugin {Plugin} is down ({Reason}); restart {Attempt} of at most {MaxRestarts} in {Window} in {Delay}")]
    public static partial void Restarting(ILogger logger, string plugin, string reason, int attempt, int maxRestarts, System.TimeSpan window, System.TimeSpan delay);

    [LoggerMessage(11, LogLevel.Error, "Plugin {Plugin} crashed {Restarts} times within {Window}; it stays down until an operator restarts it. Last error: {Error}")]
    public static partial void GaveUp(ILogger logger, string plugin, int restarts, System.TimeSpan window, string error);

    [LoggerMessage(12, LogLevel.Warning, "Plugin {Plugin} (process {Pid}) failed {Failures} health checks in a row; killing it as hung")]
    public static partial void Hung(ILogger logger, string plugin, int pid, int failures);

    [LoggerMessage(13, LogLevel.Information, "Plugin {Plugin} is serving again as process {Pid} (restart {RestartCount})")]
    public static partial void Restarted(ILogger logger, string plugin, int pid, int restartCount);

    [LoggerMessage(14, LogLevel.Information, "Retrying an idempotent call to plugin {Plugin} once it is back: {Error}")]
    public static partial void RetryingCall(ILogger logger, string plugin, string error);

    [LoggerMessage(EventId = 15, Message = "[{Plugin}] {Category}: {Message}")]
    public static partial void PluginLog(ILogger logger, LogLevel level, string plugin, string category, string message);

    [LoggerMessage(16, LogLevel.Information, "Plugin {Plugin} is replaced by process {NewPid} (version {Version}); new calls go there")]
    public static partial void Replaced(ILogger logger, string plugin, int newPid, string version);

    [LoggerMessage(17, LogLevel.Information, "Plugin {Plugin} (process {Pid}) is draining: waiting up to {DrainTimeout} for {InFlight} calls in flight before it stops")]
    public static partial void Draining(ILogger logger, string plugin, int pid, int inFlight, TimeSpan drainTimeout);

    [LoggerMessage(18, LogLevel.Warning, "Plugin {Plugin} still had {InFlight} calls in flight after {DrainTimeout}; stopping it anyway")]
    public static partial void DrainTimedOut(ILogger logger, string plugin, int inFlight, TimeSpan drainTimeout);

    [LoggerMessage(19, LogLevel.Error, "Plugin {Plugin} (process {Pid}) crashed:{NewLine}{Report}")]
    public static partial void PluginCrashReport(ILogger logger, string plugin, int pid, string newLine, string report);

    [LoggerMessage(20, LogLevel.Warning, "Plugin {Plugin}: its data channel {Path} could not be reached ({Error}); this call sends its content as gRPC chunk messages")]
    public static partial void DataChannelUnreachable(ILogger logger, string plugin, string path, string error);

    [LoggerMessage(21, LogLevel.Information, "Plugin {Plugin} (process {Pid}) does not implement {Method}; until it restarts, the host uses {Fallback} instead")]
    public static partial void MethodUnimplemented(ILogger logger, string plugin, int pid, string method, string fallback);

    // 180-189: the sandbox (Internal/Sandbox).
    [LoggerMessage(180, LogLevel.Information, "Plugin {Plugin} is sandboxed: {Report}")]
    public static partial void Sandboxed(ILogger logger, string plugin, string report);

    [LoggerMessage(181, LogLevel.Warning, "Plugin {Plugin}: part of its sandbox is NOT enforced on this machine: {NotEnforced}. Set Sandbox.Require to refuse to start it instead")]
    public static partial void SandboxNotEnforced(ILogger logger, string plugin, string notEnforced);
}
