using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;

// Usage: GrpcPlugins.TestHost <plugin.dll> <mode> [exit]
// Starts the plugin, prints "pid <n>", then waits forever, or with "exit" returns without stopping the plugin.
var plugin = await PluginClient.StartAsync(new PluginOptions
{
    Name = "orphan-check",
    Type = PluginType.Storage,
    Command = args[0],
    Args = [args[1]],
});
Console.WriteLine($"pid {plugin.ProcessId}");
Console.WriteLine($"socket {plugin.Handshake.Address}");
if (args.Length > 2 && args[2] == "exit")
{
    // Leaves without Shutdown, as a host that crashes on an unhandled exception would.
    Environment.Exit(0);
}

await Task.Delay(Timeout.Infinite);
