using System.Diagnostics;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>Builds the <see cref="ProcessStartInfo"/> of a plugin: its command, arguments and protocol environment.</summary>
internal static class PluginStartInfo
{
    public static ProcessStartInfo Create(PluginOptions plugin, GrpcPluginsOptions host)
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
                throw new PluginException(
                    PluginErrorCode.FailedPrecondition,
                    $"Could not start plugin '{plugin.Name}': '{command}' does not exist. Build the plugin, or fix its Command.")
                { Source = PluginErrorSource.Host, PluginName = plugin.Name };
            }

            startInfo.FileName = DotnetHost();
            startInfo.ArgumentList.Add(command);
        }
        else
        {
            startInfo.FileName = command;
        }

        foreach (var arg in plugin.Args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        var env = startInfo.Environment;
        foreach (var (key, value) in plugin.Environment)
        {
            env[key] = value;
        }

        env[PluginProtocol.MagicCookieKey] = PluginProtocol.MagicCookieValue;
        env[PluginProtocol.ProtocolVersionsVariable] = string.Join(',', PluginHostProtocol.SupportedAppVersions);
        env.Remove(PluginProtocol.StdinWatchVariable);
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
