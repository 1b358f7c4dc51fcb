using GrpcPlugins.Plugin.V1;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.Hosting.Tests;

public sealed class OptionsTests
{
    [Fact]
    public void AddGrpcPlugins_PluginsSection_BindsEachPluginByName()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Plugins:files:Type"] = "Storage",
            ["Plugins:files:Command"] = "plugins/FileSystemStorage.dll",
            ["Plugins:files:Args:0"] = "--verbose",
            ["Plugins:files:Config:root"] = "./data",
            ["Plugins:files:CallTimeout"] = "00:00:05",
            ["GrpcPlugins:SocketDirectory"] = "/run/ft",
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddGrpcPlugins(configuration).Services.BuildServiceProvider();

        var options = services.GetRequiredService<IOptions<GrpcPluginsOptions>>().Value;

        var files = options.Plugins["files"];
        Assert.Equal("files", files.Name);
        Assert.Equal(PluginType.Storage, files.Type);
        Assert.Equal("plugins/FileSystemStorage.dll", files.Command);
        Assert.Equal(["--verbose"], files.Args);
        Assert.Equal("./data", files.Config["root"]);
        Assert.Equal(TimeSpan.FromSeconds(5), files.CallTimeout);
        Assert.Equal("/run/ft", options.SocketDirectory);
    }

    [Fact]
    public void AddGrpcPlugins_InvalidPlugin_FailsValidationWithReasons()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Plugins:broken:Type"] = "Teleport",
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddGrpcPlugins(configuration).Services.BuildServiceProvider();

        var error = Assert.ThrowsAny<Exception>(() => services.GetRequiredService<IOptions<GrpcPluginsOptions>>().Value);

        Assert.Contains("broken", error.Message);
    }

    [Fact]
    public void AddGrpcPlugins_PluginWithServicesAndNoType_BindsAsCustom()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Plugins:scanner:Services:0"] = "filetransfer.scanner.v1.ScannerService",
            ["Plugins:scanner:Command"] = "plugins/Scanner.dll",
            ["Plugins:scanner:IdempotentMethods:0"] = "Scan",
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddGrpcPlugins(configuration).Services.BuildServiceProvider();

        var scanner = services.GetRequiredService<IOptions<GrpcPluginsOptions>>().Value.Plugins["scanner"];

        Assert.Equal(["filetransfer.scanner.v1.ScannerService"], scanner.Services);
        Assert.Equal(PluginType.Custom, scanner.EffectiveType);
        Assert.Equal(["filetransfer.scanner.v1.ScannerService"], scanner.RequiredServices(2));
        Assert.True(scanner.IsIdempotent("/filetransfer.scanner.v1.ScannerService/Scan"));
        Assert.False(scanner.IsIdempotent("/filetransfer.scanner.v1.ScannerService/Delete"));
        Assert.Empty(scanner.Validate());
    }

    [Fact]
    public void Validate_BuiltInTypeWithServices_RequiresItsOwnServiceToo()
    {
        var options = new PluginOptions { Name = "files", Type = PluginType.Storage, Command = "x.dll", Services = ["acme.scan.v1.ScanService"] };

        Assert.Empty(options.Validate());
        Assert.Equal(PluginType.Storage, options.EffectiveType);
        Assert.Equal(["grpcplugins.storage.v1.StorageService", "acme.scan.v1.ScanService"], options.RequiredServices(2));
    }

    [Theory]
    [InlineData(1, "grpcplugins.monitor.v1.MonitorService")]
    [InlineData(2, "grpcplugins.monitor.v2.MonitorService")]
    public void RequiredServices_Monitor_IsTheMonitorServiceOfTheChosenApiVersion(int appVersion, string expected)
    {
        var options = new PluginOptions { Name = "audit", Type = PluginType.Monitor, Command = "x.dll" };

        Assert.Equal([expected], options.RequiredServices(appVersion));
    }

    [Fact]
    public void Validate_CustomWithoutServices_SaysToListThem()
    {
        var options = new PluginOptions { Name = "scanner", Type = PluginType.Custom, Command = "x.dll" };

        var problem = Assert.Single(options.Validate());

        Assert.Contains("Type Custom but no Services", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/acme.scan.v1.ScanService")]
    [InlineData("acme.scan.v1.ScanService/Scan")]
    [InlineData("acme scan")]
    [InlineData("")]
    [InlineData("acme..ScanService")]
    public void Validate_MalformedServiceName_NamesIt(string name)
    {
        var options = new PluginOptions { Name = "scanner", Command = "x.dll", Services = [name] };

        var problems = options.Validate().ToList();

        Assert.Contains(problems, p => p.Contains($"malformed Services ('{name}')", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_NoTypeAndNoServices_SaysToSetEither()
    {
        var options = new PluginOptions { Name = "x", Command = "x.dll" };

        var problem = Assert.Single(options.Validate());

        Assert.Contains("list the gRPC services it serves in Services", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_GoodOptions_HasNoProblems()
    {
        var options = new PluginOptions { Name = "fs", Type = PluginType.Storage, Command = "fs" };

        Assert.Empty(options.Validate());
    }

    [Theory]
    [InlineData(4 * 1024 * 1024, 4 * 1024 * 1024)]
    [InlineData(64 * 1024, 64 * 1024)]
    [InlineData(1024, 0)]
    public void Validate_ChunkSizeNotBelowMessageLimit_SaysSoWithBothSizes(int maxMessageSize, int chunkSize)
    {
        var options = new PluginOptions { Name = "files", Type = PluginType.Storage, Command = "x.dll", MaxMessageSize = maxMessageSize, ChunkSize = chunkSize };

        var problem = Assert.Single(options.Validate());

        Assert.Contains($"ChunkSize {chunkSize}", problem);
        Assert.Contains($"MaxMessageSize ({maxMessageSize})", problem);
    }

    [Fact]
    public void Validate_ChunkSizeWellBelowMessageLimit_IsValid()
    {
        var options = new PluginOptions { Name = "files", Type = PluginType.Storage, Command = "x.dll", MaxMessageSize = 1024 * 1024, ChunkSize = 1024 * 1024 - 1024 };

        Assert.Empty(options.Validate());
    }

    [Theory]
    [InlineData("https://scanner:7443", "3A:5F:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD", false, null)]
    [InlineData("https://scanner:7443", "sha256 Fingerprint=3A5F00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDD", false, null)]
    [InlineData("https://scanner:7443", null, false, "Remote.ServerCertificateSha256 nor Remote.CertificateAuthorityFile")]
    [InlineData("https://scanner:7443", "3A:5F", false, "Remote.ServerCertificateSha256 '3A:5F'")]
    [InlineData("http://scanner:7443", null, false, "Remote.AllowInsecurePlaintext")]
    [InlineData("http://scanner:7443", null, true, "only 127.0.0.1, ::1 or localhost")]
    [InlineData("http://127.0.0.1:7443", null, true, null)]
    [InlineData("scanner:7443", null, false, "https://host:port")]
    public void Validate_RemotePlugin_RefusesWhatIsNotPinnedOrPlaintextOffLoopback(string address, string? pin, bool insecure, string? problem)
    {
        var options = new PluginOptions
        {
            Name = "scanner",
            Services = ["filetransfer.scanner.v1.ScannerService"],
            Remote = new PluginRemoteOptions
            {
                Address = address,
                ServerCertificateSha256 = pin,
                ClientCertificateFile = "/etc/ft/host.crt",
                AllowInsecurePlaintext = insecure,
            },
        };

        var problems = options.Validate().ToList();

        if (problem is null)
        {
            Assert.Empty(problems);
        }
        else
        {
            Assert.Contains(problems, p => p.Contains(problem, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Validate_RemotePluginWithCommandOrSandbox_RefusedAsTheHostNeitherStartsNorConfinesIt()
    {
        var options = new PluginOptions
        {
            Name = "scanner",
            Services = ["filetransfer.scanner.v1.ScannerService"],
            Command = "plugins/ContentScanner/ContentScanner",
            Remote = new PluginRemoteOptions { Address = "https://scanner:7443", CertificateAuthorityFile = "ca.crt", ClientCertificateFile = "host.crt" },
        };

        var problem = Assert.Single(options.Validate());

        Assert.Contains("neither starts nor sandboxes", problem, StringComparison.Ordinal);
    }
}
