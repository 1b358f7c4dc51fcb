namespace GrpcPlugins.TestPlugin;

/// <summary>Plugins that break the protocol on purpose, to check that a host gives a clear error and never hangs.</summary>
internal static class Misbehaviour
{
    public static async Task<int> RunAsync(string mode)
    {
        switch (mode)
        {
            case "garbage":
                Console.WriteLine("1|1|carrier-pigeon|coop-7|grpc|");
                return 0;
            case "garbage-then-hang":
                Console.WriteLine("READY on port 7000");
                await Task.Delay(Timeout.Infinite);
                return 0;
            case "exit-early":
                await Console.Error.WriteLineAsync("fatal: the config file /etc/testplugin.conf is missing");
                return 3;
            case "hang":
                await Task.Delay(Timeout.Infinite);
                return 0;
            case "future-version":
                Console.WriteLine("1|7|unix|/nonexistent/plugin.sock|grpc|");
                await Task.Delay(Timeout.Infinite);
                return 0;
            case "bad-cert":
                // Answers an AutoMTLS request with a sixth field that is not a certificate.
                Console.WriteLine("1|1|tcp|127.0.0.1:1|grpc|not-a-certificate!");
                await Task.Delay(Timeout.Infinite);
                return 0;
            case "netrpc":
                Console.WriteLine("1|1|tcp|127.0.0.1:1234|netrpc|");
                await Task.Delay(Timeout.Infinite);
                return 0;
            default:
                await Console.Error.WriteLineAsync($"unknown test plugin mode '{mode}'");
                return 2;
        }
    }
}
