using GrpcPlugins;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;

// Usage: GrpcPlugins.TestHost <plugin.dll> <mode> [exit] [no-stdin-watch]
// Starts the plugin, prints "pid <n>", then waits forever, or with "exit" returns without stopping the plugin.
// With "no-stdin-watch" the plugin ignores its stdin, so only the parent-death signal can tell it the host is gone.
var options = new PluginOptions
{
    Name = "orphan-check",
    Type = PluginType.Storage,
    Command = args[0],
    Args = [args[1]],
};
if (args.Contains("no-stdin-watch"))
{
    options.Environment[PluginProtocol.StdinWatchVariable] = "0";
}

var plugin = await PluginClient.StartAsync(options);
Console.WriteLine($"pid {plugin.ProcessId}");
Console.WriteLine($"socket {plugin.Handshake.Address}");
if (args.Contains("exit"))
{
    // Leaves without Shutdown, as a host that crashes on an unhandled exception would.
    Environment.Exit(0);
}

await Task.Delay(Timeout.Infinite);
