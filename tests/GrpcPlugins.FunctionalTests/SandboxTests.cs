using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Storage.V1;
using GrpcPlugins.Test.Sandbox.V1;

namespace GrpcPlugins.FunctionalTests;

/// <summary>
/// The plugin sandbox (PluginOptions.Sandbox) with a real plugin that misbehaves on purpose (the test plugin's
/// sandbox-probe mode): each misbehaviour is contained with a typed, visible reason while other plugins keep serving,
/// and the same misbehaviour goes through when nothing is declared. These tests need what CI has: Linux, root (to
/// create cgroups and namespaces), util-linux and bubblewrap (tests/run-all.sh installs it).
/// </summary>
public sealed class SandboxTests : IDisposable
{
    private const string ProbeService = "grpcplugins.test.sandbox.v1.SandboxProbeService";
    // Outside /tmp, which a confined plugin sees as its own private, empty folder.
    private readonly string _folder = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "sandbox-tests-" + Guid.NewGuid().ToString("N")[..8])).FullName;

    [Fact]
    public async Task Start_EverythingDeclared_ReportsHowEachRuleIsEnforced()
    {
        var options = Probe();
        options.Sandbox = new PluginSandboxOptions
        {
            MemoryMiB = 256, CpuPercent = 100, MaxProcesses = 200, MaxOpenFiles = 1024, ConfineFiles = true, Network = SandboxNetwork.None,
        };
        await using var plugin = await TestPlugins.StartAsync(options);

        var report = plugin.Sandbox;
        var read = await TryAsync(plugin, new TryRequest { Action = "read", Path = TestPlugins.Dll("tests", "GrpcPlugins.TestPlugin").Replace(".dll", ".deps.json", StringComparison.Ordinal) });

        Assert.Contains(report.Memory, new[] { "cgroup-v1", "cgroup-v2" });
        Assert.Equal(report.Memory, report.Cpu);
        Assert.Equal(report.Memory, report.Processes);
        Assert.Equal("rlimit", report.OpenFiles);
        Assert.Equal("bubblewrap", report.Files);
        Assert.Equal("namespace", report.Network);
        Assert.Equal("setpriv", report.NoNewPrivileges);
        Assert.Empty(report.NotEnforced);
        Assert.True(read.Ok, read.Error); // Its own install folder stays readable.
    }

    [Fact]
    public async Task Allocate_PastMemoryLimit_RestartedWithTypedReasonWhileAnotherPluginServes()
    {
        var options = Probe();
        options.Sandbox.MemoryMiB = 128;
        options.RestartDelay = TimeSpan.FromMilliseconds(100);
        await using var plugin = await TestPlugins.StartAsync(options);
        await using var storage = await TestPlugins.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage));

        await Assert.ThrowsAnyAsync<Exception>(() => TryAsync(plugin, new TryRequest { Action = "allocate", Amount = 1024 }));
        await WaitUntilAsync(() => plugin.RestartCount >= 1 && plugin.State == PluginState.Running);
        var content = RandomNumberGenerator.GetBytes(200_000);
        var stored = await storage.Storage.StoreAsync(new ObjectMetadata { Name = "beside.bin" }, new MemoryStream(content)).WaitAsync(TestPlugins.Timeout);
        using var back = new MemoryStream();
        await using (var retrieved = await storage.Storage.RetrieveAsync(stored.Id).WaitAsync(TestPlugins.Timeout))
        {
            await retrieved.Content.CopyToAsync(back).WaitAsync(TestPlugins.Timeout);
        }

        var afterRestart = await TryAsync(plugin, new TryRequest { Action = "allocate", Amount = 16 });

        Assert.Contains("memory limit of 128 MiB exceeded", plugin.LastError);
        Assert.DoesNotContain("exited with code", plugin.LastError);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(back.ToArray()));
        Assert.True(afterRestart.Ok);
        Assert.Equal(0, storage.RestartCount);
    }

    [Fact]
    public async Task Fork_PastProcessLimit_FailsInsideThePluginWithTheOsError()
    {
        var options = Probe();
        options.Sandbox.MaxProcesses = 100;
        await using var plugin = await TestPlugins.StartAsync(options);

        var fork = await TryAsync(plugin, new TryRequest { Action = "fork", Amount = 300 });
        var again = await TryAsync(plugin, new TryRequest { Action = "fork", Amount = 5 });

        Assert.False(fork.Ok);
        Assert.InRange(fork.Count, 1, 99);
        Assert.Contains("Cannot fork", fork.Error); // The shell's word for the kernel's EAGAIN.
        Assert.True(again.Ok, again.Error); // The plugin itself lives on, and its processes were given back.
        Assert.Equal(0, plugin.RestartCount);
    }

    [Fact]
    public async Task Spin_AllCores_GetsNoMoreThanItsCpuQuota()
    {
        var options = Probe();
        options.Sandbox.CpuPercent = 20;
        await using var plugin = await TestPlugins.StartAsync(options);

        var spin = await TryAsync(plugin, new TryRequest { Action = "spin", Amount = 3 });

        // A fifth of one core: whatever the machine's load, at most about 0.2 CPU-seconds per second; generous margin.
        Assert.True(spin.CpuSeconds < 0.5 * spin.WallSeconds, $"{spin.CpuSeconds:0.00} CPU-seconds in {spin.WallSeconds:0.00} s");
    }

    [Fact]
    public async Task ConfinedFiles_WriteOutsideAndReadSecret_FailWithTheOsErrorWhileItsDataFolderWorks()
    {
        var data = Path.Combine(_folder, "data");
        var secret = Path.Combine(_folder, "secret", "host.key");
        Directory.CreateDirectory(Path.GetDirectoryName(secret)!);
        await File.WriteAllTextAsync(secret, "the host's secret");
        var options = Probe();
        options.Sandbox.ConfineFiles = true;
        options.Sandbox.Write.Add(data);
        await using var plugin = await TestPlugins.StartAsync(options);

        var own = await TryAsync(plugin, new TryRequest { Action = "write", Path = Path.Combine(data, "mine.txt") });
        var outside = await TryAsync(plugin, new TryRequest { Action = "write", Path = Path.Combine(_folder, "escaped.txt") });
        var install = await TryAsync(plugin, new TryRequest { Action = "write", Path = Path.Combine(Path.GetDirectoryName(TestPlugins.Dll("tests", "GrpcPlugins.TestPlugin"))!, "planted.txt") });
        var read = await TryAsync(plugin, new TryRequest { Action = "read", Path = secret });

        Assert.True(own.Ok, own.Error);
        Assert.Equal("written by the sandbox probe", await File.ReadAllTextAsync(Path.Combine(data, "mine.txt")));
        Assert.False(outside.Ok);
        Assert.False(File.Exists(Path.Combine(_folder, "escaped.txt")));
        Assert.False(install.Ok);
        Assert.Contains("Read-only file system", install.Error);
        Assert.False(read.Ok);
        Assert.DoesNotContain("the host's secret", read.Content);
        Assert.Contains("Could not find", read.Error);
    }

    [Fact]
    public async Task NetworkNone_ConnectOut_FailsWithTheOsError()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var options = Probe();
        options.Sandbox.Network = SandboxNetwork.None;
        await using var plugin = await TestPlugins.StartAsync(options);

        var connect = await TryAsync(plugin, new TryRequest { Action = "connect", Address = $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}" });

        Assert.False(connect.Ok);
        Assert.Contains("SocketException", connect.Error);
        Assert.False(listener.Pending());
    }

    [Fact]
    public async Task NothingDeclared_SameMisbehaviour_GoesThrough()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var secret = Path.Combine(_folder, "host.key");
        await File.WriteAllTextAsync(secret, "the host's secret");
        await using var plugin = await TestPlugins.StartAsync(Probe());

        var allocate = await TryAsync(plugin, new TryRequest { Action = "allocate", Amount = 300 });
        var fork = await TryAsync(plugin, new TryRequest { Action = "fork", Amount = 150 });
        var write = await TryAsync(plugin, new TryRequest { Action = "write", Path = Path.Combine(_folder, "escaped.txt") });
        var read = await TryAsync(plugin, new TryRequest { Action = "read", Path = secret });
        var connect = await TryAsync(plugin, new TryRequest { Action = "connect", Address = $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}" });

        Assert.Equal(SandboxReport.None, plugin.Sandbox);
        Assert.True(allocate.Ok);
        Assert.Equal(150, fork.Count);
        Assert.True(write.Ok, write.Error);
        Assert.Equal("the host's secret", read.Content);
        Assert.True(connect.Ok, connect.Error);
        Assert.Equal(0, plugin.RestartCount);
    }

    [Fact]
    public async Task RequireSandbox_MechanismUnavailable_RefusesToStartSayingWhat()
    {
        var options = Probe();
        options.Sandbox.MemoryMiB = 128;
        options.Sandbox.Require = true;
        options.Sandbox.DisabledMechanisms = ["cgroup", "rlimit"]; // As on a machine with neither.

        var refused = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(options));
        options.Sandbox.Require = false;
        await using var plugin = await TestPlugins.StartAsync(options);

        Assert.Equal(PluginErrorCode.FailedPrecondition, refused.Code);
        Assert.Contains("requires its sandbox", refused.Message);
        Assert.Contains("memory: cgroups are disabled", refused.Message);
        Assert.Null(plugin.Sandbox.Memory);
        Assert.Contains(plugin.Sandbox.NotEnforced, n => n.StartsWith("memory:", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static PluginOptions Probe()
    {
        var options = TestPlugins.TestPlugin("sandbox-probe", PluginType.Unspecified, "probe");
        options.Services.Add(ProbeService);
        return options;
    }

    private static Task<TryResponse> TryAsync(PluginClient plugin, TryRequest request) =>
        plugin.CreateClient<SandboxProbeService.SandboxProbeServiceClient>().TryAsync(request).ResponseAsync.WaitAsync(TestPlugins.Timeout);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TestPlugins.Timeout);
        while (!condition())
        {
            await Task.Delay(50, timeout.Token);
        }
    }
}
