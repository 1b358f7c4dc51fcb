using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// Builds the <see cref="ProcessStartInfo"/> of a plugin: its command (checked against its pinned checksum), arguments,
/// and an environment of only the protocol's variables, the plugin's own, and the host variables the allow-list names.
/// </summary>
internal static class PluginStartInfo
{
    /// <summary>Whether AutoMTLS applies: as configured, else on for TCP and off for Unix sockets.</summary>
    public static bool UsesAutoMtls(PluginOptions plugin) =>
        plugin.AutoMtls ?? (plugin.Transport == HandshakeLine.TcpNetwork || !System.Net.Sockets.Socket.OSSupportsUnixDomainSockets);

    /// <param name="plugin">The plugin to start.</param>
    /// <param name="host">The host's settings.</param>
    /// <param name="clientCertificate">The host's AutoMTLS certificate, passed to the plugin; null for plaintext.</param>
    public static ProcessStartInfo Create(PluginOptions plugin, GrpcPluginsOptions host, X509Certificate2? clientCertificate = null)
    {
        var command = Path.IsPathRooted(plugin.Command) || !plugin.Command.Contains(Path.DirectorySeparatorChar)
            ? plugin.Command
            : Path.GetFullPath(Path.Combine(host.BaseDirectory, plugin.Command));
        var startInfo = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = plugin.WorkingDirectory ?? Environment.CurrentDirectory,
        };

        if (command.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(command))
            {
                throw PluginException.FromHost(
                    PluginErrorCode.FailedPrecondition,
                    $"Could not start plugin '{plugin.Name}': '{command}' does not exist. Build the plugin, or fix its Command.",
                    plugin.Name);
            }

            PluginChecksum.Verify(plugin, command);
            startInfo.FileName = DotnetHost();
            startInfo.ArgumentList.Add(command);
        }
        else
        {
            if (!string.IsNullOrEmpty(plugin.Checksum))
            {
                PluginChecksum.Verify(plugin, FindOnPath(command) ?? command);
            }

            startInfo.FileName = command;
        }

        foreach (var arg in plugin.Args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        var env = startInfo.Environment;
        env.Clear();
        foreach (var (key, value) in PluginEnvironmentFilter.Inherited(host, Environment.GetEnvironmentVariables()))
        {
            env[key] = value;
        }

        foreach (var (key, value) in plugin.Environment)
        {
            env[key] = value;
        }

        var (cookieKey, cookieValue) = PluginHostProtocol.Cookie(plugin);
        env[cookieKey] = cookieValue;
        env[PluginProtocol.ProtocolVersionsVariable] = string.Join(',', PluginHostProtocol.AppVersions(plugin));
        env[PluginProtocol.HostPidVariable] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // The host holds the plugin's stdin open for its whole life, so its end means the host is gone. A plugin's own
        // Environment may turn the watch off ("0"), for a debugger.
        if (!plugin.Environment.ContainsKey(PluginProtocol.StdinWatchVariable))
        {
            env[PluginProtocol.StdinWatchVariable] = "1";
        }

        env.Remove(PluginProtocol.ClientCertVariable);
        if (clientCertificate is not null)
        {
            env[PluginProtocol.ClientCertVariable] = PluginCertificates.ToPem(clientCertificate);
        }

        if (!string.IsNullOrEmpty(host.SocketDirectory))
        {
            env[PluginProtocol.UnixSocketDirVariable] = host.SocketDirectory;
        }

        if (!string.IsNullOrEmpty(plugin.Transport))
        {
            env[PluginProtocol.TransportVariable] = plugin.Transport;
        }

        return startInfo;
    }

    // A bare command name runs from PATH, so that is the file whose checksum counts.
    private static string? FindOnPath(string command)
    {
        if (Path.IsPathRooted(command) || command.Contains(Path.DirectorySeparatorChar))
        {
            return command;
        }

        var extensions = OperatingSystem.IsWindows() ? new[] { string.Empty, ".exe" } : [string.Empty];
        return (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(dir => extensions.Select(ext => Path.Combine(dir, command + ext)))
            .FirstOrDefault(File.Exists);
    }

    // The dotnet that runs this host also runs .dll plugins, so both use the same runtime.
    private static string DotnetHost()
    {
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return self;
        }

        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        var candidate = root is null ? null : Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return candidate is not null && File.Exists(candidate) ? candidate : "dotnet";
    }
}
