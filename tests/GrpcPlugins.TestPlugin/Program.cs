using GrpcPlugins.Sdk;
using GrpcPlugins.TestPlugin;
using Microsoft.Extensions.DependencyInjection;

// The first argument picks a behaviour; functional tests use each to check what a host does with it.
var mode = args.Length > 0 ? args[0] : "storage";
var rest = args.Skip(1).ToArray();
switch (mode)
{
    case "auth":
        await PluginServer.RunAsync(rest, p => p.AddAuth<EchoAuth>());
        break;
    case "storage":
        await PluginServer.RunAsync(rest, p => p.AddStorage<MemoryStorage>());
        break;
    case "goplugin-auth":
        // Auth for a HashiCorp go-plugin host too: the cookie of tests/goplugin's Go host, besides GrpcPlugins' own;
        // it writes to Console.Out, which go-plugin's GRPCStdio carries.
        await PluginServer.RunAsync(rest, p =>
        {
            p.AddAuth<EchoAuth>().AcceptCookie("GRPCPLUGINS_GO_TEST_COOKIE", "go-plugin-test");
            p.Services.AddHostedService<ConsoleChatter>();
        });
        break;
    case "goplugin-broker":
        // Auth for tests/goplugin's Go host that dials, through go-plugin's broker, a helper the host serves.
        await PluginServer.RunAsync(rest, p => p.AddAuth<BrokerDialingAuth>().AcceptCookie("GRPCPLUGINS_GO_TEST_COOKIE", "go-plugin-test"));
        break;
    case "protocol":
        await PluginServer.RunAsync(rest, p => p.AddProtocol<InstantProtocol>());
        break;
    case "monitor":
        await PluginServer.RunAsync(rest, p => p.AddMonitor<CountingMonitor>());
        break;
    case "unhealthy":
        // Serves auth, but its health service answers NOT_SERVING, so a host never finds it healthy.
        await PluginServer.RunAsync(rest, p =>
        {
            p.AddAuth<EchoAuth>();
            p.Services.AddHostedService<NotServing>();
        });
        break;
    case "slow-health":
        // Serves auth, but answers each health check only after 5 s.
        await PluginServer.RunAsync(rest, p =>
        {
            p.AddAuth<EchoAuth>();
            p.Services.Configure<Grpc.AspNetCore.Server.GrpcServiceOptions>(o => o.Interceptors.Add<SlowHealth>());
        });
        break;
    case "serving-after-first-check":
        // Serves auth, but answers the first health check NOT_SERVING (a plugin still warming up).
        await PluginServer.RunAsync(rest, p =>
        {
            p.AddAuth<EchoAuth>();
            p.Services.AddSingleton<ServingAfterFirstCheck>();
            p.Services.AddHostedService(s => s.GetRequiredService<ServingAfterFirstCheck>());
            p.Services.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter>(s => s.GetRequiredService<ServingAfterFirstCheck>());
        });
        break;
    case "echo":
        // An application-defined contract only: a Custom plugin.
        await PluginServer.RunAsync(rest, p => p.AddService<EchoServer>());
        break;
    case "sandbox-probe":
        // Misbehaves on request (SandboxProbe), so tests see what a sandbox lets through.
        await PluginServer.RunAsync(rest, p => p.AddService<SandboxProbe>());
        break;
    case "runaway":
        // Leaks memory and spins a core from the start, on its own, so a sandbox has something to contain (Runaway).
        await PluginServer.RunAsync(rest, p =>
        {
            p.AddService<SandboxProbe>();
            p.Services.AddHostedService<Runaway>();
        });
        break;
    case "callbacks":
        // Makes host callbacks on request (CallbackProbe), so tests see what a host answers a real plugin.
        await PluginServer.RunAsync(rest, p => p.AddService<CallbackProbe>());
        break;
    case "storage-echo":
        // A built-in type and an application-defined contract in one process.
        await PluginServer.RunAsync(rest, p =>
        {
            p.AddStorage<MemoryStorage>();
            p.AddService<EchoServer>();
        });
        break;
    case "legacy-storage":
    case "legacy-echo":
        // Lists no services in its metadata, as plugins built before they were reported (or in other languages) do.
        await PluginServer.RunAsync(rest, p =>
        {
            if (mode == "legacy-storage")
            {
                p.AddStorage<MemoryStorage>();
            }
            else
            {
                p.AddService<EchoServer>();
            }

            p.Metadata.Services.Clear();
        });
        break;
    case "http-routes":
        await PluginServer.RunAsync(rest, p => p.AddHttpRoutes<HttpRoutes>());
        break;
    case "http-routes-shadow":
        await PluginServer.RunAsync(rest, p => p.AddHttpRoutes<ShadowingHttpRoutes>());
        break;
    case "http-routes-garbage":
        await PluginServer.RunAsync(rest, p => p.AddService<GarbageHttpRoutes>());
        break;
    case "http-middleware":
        await PluginServer.RunAsync(rest, p => p.AddHttpMiddleware<TestHttpMiddleware>());
        break;
    case "monitor-v2":
        await PluginServer.RunAsync(rest, p => p.AddMonitor<BatchMonitor>());
        break;
    case "banner":
        // A library that prints a banner before the handshake, as some do.
        Console.WriteLine("AcmeLib 2.1 (c) Acme Corp. All rights reserved.");
        await PluginServer.RunAsync(rest, p => p.AddStorage<MemoryStorage>());
        break;
    case "liar":
        // Sends messages bigger than a host's default limit, so its own limit is raised.
        await PluginServer.RunAsync(rest, p =>
        {
            p.AddStorage<LyingStorage>();
            p.MaxMessageSize = 16 * 1024 * 1024;
        });
        break;
    case "wrong-type":
        // Serves storage but claims a type no host knows.
        await PluginServer.RunAsync(rest, p =>
        {
            p.AddStorage<MemoryStorage>();
            p.Metadata.Type = (GrpcPlugins.Plugin.V1.PluginType)42;
        });
        break;
    case "small-limit":
        // Accepts no message over 16 KiB, smaller than the chunks a host sends by default.
        await PluginServer.RunAsync(rest, p =>
        {
            p.AddStorage<MemoryStorage>();
            p.MaxMessageSize = 16 * 1024;
        });
        break;
    case "v3-only":
        // Built for an API version newer than any host of this release speaks.
        await PluginServer.RunAsync(rest, p =>
        {
            p.AddStorage<MemoryStorage>();
            p.Metadata.ApiVersions.Clear();
            p.Metadata.ApiVersions.Add("v3");
        });
        break;
    case "storage-messages":
        await PluginServer.RunAsync(rest, p => p.AddStorage<MessageStorage>());
        break;
    case "storage-no-files":
        // Declares no file capability, as a plugin from before them or in another language (FilelessStorage).
        await PluginServer.RunAsync(rest, p =>
        {
            p.AddStorage<FilelessStorage>();
            p.Metadata.Capabilities.Remove(GrpcPlugins.Plugin.V1.Capability.DataChannelFiles);
            p.Metadata.Capabilities.Remove(GrpcPlugins.Plugin.V1.Capability.DataChannelStoreFiles);
        });
        break;
    case "storage-no-stat":
        await PluginServer.RunAsync(rest, p => p.AddStorage<StatlessStorage>());
        break;
    case "storage-stat-not-supported":
        await PluginServer.RunAsync(rest, p => p.AddStorage<NotSupportedStatStorage>());
        break;
    case "data-channel-outside":
        // Names a data channel outside its socket folder, where a host must not connect.
        await PluginServer.RunAsync(rest, p =>
        {
            p.AddAuth<EchoAuth>();
            p.Metadata.DataChannel = Path.Combine(Path.GetTempPath(), "elsewhere", "data.sock");
        });
        break;
    case "conformance-broken":
        // A plugin without the SDK; each further argument breaks one rule the conformance kit checks.
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("conformance-broken listens on a Unix socket.");
        }

        Environment.ExitCode = await ConformanceBroken.RunAsync(rest.ToHashSet(StringComparer.Ordinal));
        break;
    case "connect-unix":
        Environment.ExitCode = await Probes.ConnectUnixAsync(rest[0]);
        break;
    case "wrong-cert":
        Environment.ExitCode = await Probes.WrongCertificateAsync();
        break;
    default:
        Environment.ExitCode = await Misbehaviour.RunAsync(mode);
        break;
}
