using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Storage.V1;
using Action = GrpcPlugins.Auth.V1.Action;

namespace GrpcPlugins.FunctionalTests;

/// <summary>AutoMTLS, checksum pinning, the environment allow-list and socket permissions, with real plugin processes.</summary>
public sealed class SecurityTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Start_TcpTransport_UsesMutualTlsByDefault()
    {
        var options = TestPlugins.TestPlugin("storage", PluginType.Storage);
        options.Transport = "tcp";
        await using var plugin = await TestPlugins.StartAsync(options);

        Assert.True(PluginCertificates.TryReadHandshakeField(plugin.Handshake.ServerCertificate, out var announced, out var error), error);
        using (announced)
        using (var key = announced!.GetECDsaPublicKey())
        {
            Assert.Equal(256, key?.KeySize);
        }

        Assert.Equal(0, (await plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout)).TotalItems);
    }

    [Fact]
    public async Task Dial_TcpPluginWithoutHostCertificate_IsRefused()
    {
        var options = TestPlugins.TestPlugin("storage", PluginType.Storage);
        options.Transport = "tcp";
        await using var plugin = await TestPlugins.StartAsync(options);

        // Plaintext HTTP/2, as any local process could try.
        var plaintext = await CheckHealthAsync($"http://{plugin.Handshake.Address}", handler: null);
        // TLS that trusts the plugin's certificate but presents none, or a certificate the plugin was not given.
        var anonymous = await CheckHealthAsync($"https://{plugin.Handshake.Address}", Tls(clientCertificate: null));
        using var stranger = PluginCertificates.Create("stranger");
        var wrongClient = await CheckHealthAsync($"https://{plugin.Handshake.Address}", Tls(stranger));

        Assert.NotEqual(StatusCode.OK, plaintext);
        Assert.NotEqual(StatusCode.OK, anonymous);
        Assert.NotEqual(StatusCode.OK, wrongClient);
        Assert.Equal(0, (await plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout)).TotalItems);
    }

    [Fact]
    public async Task Start_UnixSocketWithAutoMtls_RoundTripsBytes()
    {
        var options = TestPlugins.TestPlugin("storage", PluginType.Storage);
        options.AutoMtls = true;
        await using var plugin = await TestPlugins.StartAsync(options);
        var content = RandomNumberGenerator.GetBytes(300_000);

        var stored = await plugin.Storage.StoreAsync(new ObjectMetadata { Name = "tls.bin" }, new MemoryStream(content)).WaitAsync(TestPlugins.Timeout);
        using var back = new MemoryStream();
        await using (var retrieved = await plugin.Storage.RetrieveAsync(stored.Id).WaitAsync(TestPlugins.Timeout))
        {
            await retrieved.Content.CopyToAsync(back).WaitAsync(TestPlugins.Timeout);
        }

        Assert.Equal(HandshakeLine.UnixNetwork, plugin.Handshake.Network);
        Assert.NotEqual(string.Empty, plugin.Handshake.ServerCertificate);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(back.ToArray()));
    }

    [Fact]
    public async Task Start_UnixSocketByDefault_ServesPlaintextWithoutCertificate()
    {
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage));

        Assert.Equal(HandshakeLine.UnixNetwork, plugin.Handshake.Network);
        Assert.Equal(string.Empty, plugin.Handshake.ServerCertificate);
    }

    [Fact]
    public async Task Start_ServerPresentsOtherCertificateThanAnnounced_IsRefused()
    {
        var options = TestPlugins.TestPlugin("wrong-cert", PluginType.Storage);
        options.Transport = "tcp";

        var error = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(options));

        // The host refuses the TLS handshake at once, so the start fails without waiting for StartTimeout.
        Assert.Equal(PluginErrorCode.FailedPrecondition, error.Code);
        Assert.Contains("with a TLS certificate other than the one in its handshake", error.Message);
    }

    [Fact]
    public async Task Start_MalformedCertificateInHandshake_SaysSo()
    {
        var options = TestPlugins.TestPlugin("bad-cert", PluginType.Storage);
        options.Transport = "tcp";

        var error = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(options));

        Assert.Equal(PluginErrorCode.FailedPrecondition, error.Code);
        Assert.Contains("malformed AutoMTLS certificate", error.Message);
    }

    [Fact]
    public async Task Start_ChecksumMatches_Starts()
    {
        var options = TestPlugins.TestPlugin("storage", PluginType.Storage);
        options.Checksum = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(options.Command)));

        await using var plugin = await TestPlugins.StartAsync(options);

        Assert.Equal(PluginState.Running, plugin.State);
    }

    [Fact]
    public async Task Start_ChecksumMismatch_RefusesToLaunch()
    {
        var options = TestPlugins.TestPlugin("storage", PluginType.Storage);
        var pinned = "sha256:" + new string('0', 64);
        options.Checksum = pinned;
        var actual = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(options.Command)));

        var error = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(options));

        Assert.Equal(PluginErrorCode.FailedPrecondition, error.Code);
        Assert.Equal(PluginErrorSource.Host, error.ErrorSource);
        Assert.Contains(pinned, error.Message);
        Assert.Contains(actual, error.Message);
        Assert.Contains("set its Checksum", error.Message);
        Assert.DoesNotContain("(process ", error.Message);
    }

    [Fact]
    public async Task Start_MalformedChecksum_IsInvalidArgument()
    {
        var options = TestPlugins.TestPlugin("storage", PluginType.Storage);
        options.Checksum = "md5:abc";

        var error = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(options));

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains("Checksum 'md5:abc'", error.Message);
    }

    [Fact]
    public async Task Start_HostHasSecretsInEnvironment_PluginGetsOnlyAllowedVariables()
    {
        // Names unique to this test, so tests running beside it see no difference.
        Environment.SetEnvironmentVariable("FILETRANSFER_SECRET", "hunter2");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI");
        Environment.SetEnvironmentVariable("GRPCPLUGINS_TEST_PASSED_ON", "yes");
        var options = TestPlugins.TestPlugin("auth", PluginType.Auth);
        options.Config["echo-env"] = "1";
        options.Environment["PLUGIN_OWN_SETTING"] = "set-by-config";
        var host = new GrpcPluginsOptions { EnvironmentAllowList = ["GRPCPLUGINS_TEST_PASSED_*"] };
        await using var plugin = await PluginClient.StartAsync(options, host).WaitAsync(TestPlugins.Timeout);

        var echo = (await plugin.Auth.AuthorizeAsync("tok-alice", "files/1", Action.Read).WaitAsync(TestPlugins.Timeout)).Reason;
        var names = echo[(echo.IndexOf(";env=", StringComparison.Ordinal) + 5)..].Split(',');

        Assert.DoesNotContain("FILETRANSFER_SECRET", names);
        Assert.DoesNotContain("AWS_SECRET_ACCESS_KEY", names);
        Assert.Contains("PATH", names);
        Assert.Contains("GRPCPLUGINS_TEST_PASSED_ON", names);
        Assert.Contains("PLUGIN_OWN_SETTING", names);
        Assert.Contains(PluginProtocol.MagicCookieKey, names);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Connect_OtherLocalUser_CannotReachPluginSocket()
    {
        await using var plugin = await TestPlugins.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage));
        var socket = plugin.Handshake.Address;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(socket)!));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));
        var asOtherUser = OtherUserCommand();
        if (asOtherUser is null)
        {
            output.WriteLine("Not run as root, or neither setpriv nor runuser is installed: the other-user connect check was not run.");
            return;
        }

        // A control: the same probe, as the same other user, reaches a socket that is open to everyone.
        var openFolder = Directory.CreateTempSubdirectory("grpcplugins-open-");
        File.SetUnixFileMode(openFolder.FullName, (UnixFileMode)0x1FF);
        var openSocket = Path.Combine(openFolder.FullName, "open.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(openSocket));
        listener.Listen();
        File.SetUnixFileMode(openSocket, (UnixFileMode)0x1FF);
        try
        {
            var control = await RunProbeAsync(asOtherUser, openSocket);
            var probe = await RunProbeAsync(asOtherUser, socket);

            Assert.Equal("connected", control);
            Assert.StartsWith("refused: AccessDenied", probe);
        }
        finally
        {
            openFolder.Delete(recursive: true);
        }
    }

    private static string[]? OtherUserCommand()
    {
        if (Environment.UserName != "root")
        {
            return null;
        }

        string? Find(string tool) => new[] { "/usr/bin", "/bin", "/usr/sbin", "/sbin" }.Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
        return Find("setpriv") is { } setpriv
            ? [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
            : Find("runuser") is { } runuser ? [runuser, "-u", "nobody", "--"] : null;
    }

    private static async Task<string> RunProbeAsync(string[] asOtherUser, string socketPath)
    {
        var startInfo = new ProcessStartInfo(asOtherUser[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in asOtherUser.Skip(1).Concat([DotnetPath(), TestPlugins.Dll("tests", "GrpcPlugins.TestPlugin"), "connect-unix", socketPath]))
        {
            startInfo.ArgumentList.Add(arg);
        }

        // The other user has no home of its own; the runtime needs none to run an app.
        startInfo.Environment["HOME"] = Path.GetTempPath();
        startInfo.Environment["DOTNET_CLI_HOME"] = Path.GetTempPath();
        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TestPlugins.Timeout);
        var text = (await stdout.WaitAsync(TestPlugins.Timeout)).Trim();
        return text.Length > 0 ? text : "no output; stderr: " + await stderr.WaitAsync(TestPlugins.Timeout);
    }

    private static string DotnetPath() =>
        Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";

    private static SocketsHttpHandler Tls(X509Certificate2? clientCertificate) => new()
    {
        SslOptions =
        {
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
            ClientCertificates = clientCertificate is null ? null : [clientCertificate],
            LocalCertificateSelectionCallback = clientCertificate is null ? null : (_, _, _, _, _) => clientCertificate,
        },
    };

    private static async Task<StatusCode> CheckHealthAsync(string address, SocketsHttpHandler? handler)
    {
        using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler ?? new SocketsHttpHandler() });
        try
        {
            await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10)).ResponseAsync.WaitAsync(TestPlugins.Timeout);
            return StatusCode.OK;
        }
        catch (RpcException ex)
        {
            return ex.StatusCode;
        }
    }
}
