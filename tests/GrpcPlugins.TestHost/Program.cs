using GrpcPlugins;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;

// Usage: GrpcPlugins.TestHost <plugin.dll> <mode> [exit] [no-stdin-watch]
//        GrpcPlugins.TestHost <go-plugin executable> goplugin [exit]
// Starts the plugin, prints "pid <n>", then waits forever, or with "exit" returns without stopping the plugin.
// With "no-stdin-watch" the plugin ignores its stdin, so only the parent-death signal can tell it the host is gone.
// With "goplugin" the plugin is tests/goplugin's Go plugin, run in go-plugin mode with its application's handshake.
var options = new PluginOptions
{
    Name = "orphan-check",
    Type = PluginType.Storage,
    Command = args[0],
    Args = [args[1]],
};
if (args[1] == "goplugin")
{
    options.Args = [];
    options.GoPlugin = true;
    options.MagicCookieKey = "GRPCPLUGINS_GO_TEST_COOKIE";
    options.MagicCookieValue = "go-plugin-test";
    options.ProtocolVersions = [1];
}

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
