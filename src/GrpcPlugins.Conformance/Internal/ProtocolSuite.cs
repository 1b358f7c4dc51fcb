using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using GrpcPlugins.Plugin.V1;
using static GrpcPlugins.Conformance.Internal.CheckRunner;

namespace GrpcPlugins.Conformance.Internal;

/// <summary>The wire-protocol checks, in the order a host meets a plugin, with the contract checks after Init.</summary>
internal sealed class ProtocolSuite(ConformanceOptions options, CheckRunner runner)
{
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await RefusalWithoutCookieAsync(cancellationToken).ConfigureAwait(false);

        var launch = PluginLaunch.Start(options, withCookie: true, watchStdin: false);
        await using (launch.ConfigureAwait(false))
        {
            var started = await runner.RunAsync("handshake.line",
                "Print exactly one line 'CORE|APP|NETWORK|ADDRESS|grpc|CERT' to stdout once the server listens: CORE is 1, APP one of PLUGIN_PROTOCOL_VERSIONS, NETWORK unix (or tcp), ADDRESS the socket path.",
                async ct =>
                {
                    if (!await launch.WaitForHandshakeAsync(options.StartTimeout, ct).ConfigureAwait(false))
                    {
                        var stderr = launch.Stderr.Trim();
                        throw new CheckFailedException(launch.HandshakeError + (stderr.Length > 0 ? $"; stderr: {Tail(stderr)}" : string.Empty));
                    }

                    var handshake = launch.Handshake!;
                    Expect(handshake.CoreVersion == PluginProtocol.CoreProtocolVersion, $"core version {handshake.CoreVersion}, expected {PluginProtocol.CoreProtocolVersion}");
                    Expect(PluginProtocol.AppProtocolVersions.Contains(handshake.AppVersion),
                        $"app version {handshake.AppVersion} is not one the host offered ({string.Join(',', PluginProtocol.AppProtocolVersions)})",
                        "Pick the app version from the host's PLUGIN_PROTOCOL_VERSIONS.");
                }).ConfigureAwait(false);
            if (!started)
            {
                runner.Skip("suite", "the plugin did not start, so nothing else could be checked");
                return;
            }

            var channel = launch.Channel!;
            await SocketPermissionsAsync(launch).ConfigureAwait(false);
            await HealthAsync(channel, string.Empty, "health.server").ConfigureAwait(false);
            await HealthAsync(channel, PluginProtocol.HealthServiceName, "health.plugin").ConfigureAwait(false);

            var calls = new CallOptionsFactory(options.CallTimeout);
            PluginMetadata? metadata = null;
            if (options.GoPlugin)
            {
                runner.Skip("metadata.valid", "go-plugin mode: GetMetadata is not required");
                runner.Skip("metadata.services", "go-plugin mode: no declared services");
            }
            else
            {
                await runner.RunAsync("metadata.valid",
                    "Serve grpcplugins.plugin.v1.PluginService/GetMetadata with a name, a version, a known type and the api_versions it speaks (v1, v2).",
                    async ct =>
                    {
                        var client = new PluginService.PluginServiceClient(channel);
                        metadata = (await client.GetMetadataAsync(new GetMetadataRequest(), calls.Create(ct)).ConfigureAwait(false)).Metadata;
                        Expect(metadata is not null, "GetMetadata returned no metadata");
                        Expect(metadata!.Name.Length > 0, "metadata.name is empty");
                        Expect(metadata.Version.Length > 0, "metadata.version is empty");
                        Expect(metadata.Type is > PluginType.Unspecified and <= PluginType.Custom, $"metadata.type {(int)metadata.Type} is not a plugin type a host knows",
                            "Report one of PLUGIN_TYPE_AUTH, _STORAGE, _PROTOCOL, _MONITOR or _CUSTOM.");
                        Expect(options.Type is null || options.Type == metadata.Type, $"metadata.type is {metadata.Type}, but {options.Type} was expected",
                            "Report the type the plugin serves, or run the kit with the right --type.");
                        Expect(metadata.ApiVersions.Count > 0, "metadata.api_versions is empty", "List the API versions the plugin speaks, such as \"v1\".");
                        Expect(metadata.ApiVersions.Any(IsKnownApiVersion),
                            $"none of metadata.api_versions ({string.Join(", ", metadata.ApiVersions)}) is one this host speaks (v{PluginProtocol.MinAppProtocolVersion} to v{PluginProtocol.AppProtocolVersion})",
                            "Speak at least one API version the host speaks; list it in api_versions.");
                    }).ConfigureAwait(false);
                await DeclaredServicesAsync(channel, metadata, calls).ConfigureAwait(false);
            }

            var type = options.Type ?? metadata?.Type ?? PluginType.Unspecified;
            var contract = ContractSuite.For(type, options, channel, calls, launch);
            if (options.GoPlugin)
            {
                runner.Skip("lifecycle.refused-before-init", "go-plugin mode: a go-plugin host never calls Init");
                runner.Skip("lifecycle.init", "go-plugin mode: a go-plugin host never calls Init");
            }
            else
            {
                if (contract is null)
                {
                    runner.Skip("lifecycle.refused-before-init", $"no built-in contract to call for type {type}");
                }
                else
                {
                    await runner.RunAsync("lifecycle.refused-before-init",
                        "Refuse every call of the plugin's type before PluginService/Init with FAILED_PRECONDITION (the SDKs do this for you).",
                        async ct =>
                        {
                            var error = await ExpectRpcErrorAsync(() => contract.CallBeforeInitAsync(ct), $"{contract.ServiceName} before Init").ConfigureAwait(false);
                            Expect(error.StatusCode == StatusCode.FailedPrecondition, $"a call before Init gave {error.StatusCode} ({error.Status.Detail}), not FailedPrecondition");
                        }).ConfigureAwait(false);
                }

                var initialized = await runner.RunAsync("lifecycle.init",
                    "Answer PluginService/Init with success when the configuration is usable (pass what it needs with --config KEY=VALUE).",
                    async ct =>
                    {
                        var client = new PluginService.PluginServiceClient(channel);
                        var request = new InitRequest { ApiVersion = ChooseApiVersion(metadata) };
                        foreach (var (key, value) in options.Config)
                        {
                            request.Config[key] = value;
                        }

                        await client.InitAsync(request, calls.Create(ct)).ConfigureAwait(false);
                    }).ConfigureAwait(false);
                if (!initialized)
                {
                    runner.Skip("contract", "Init failed, so the contract could not be checked");
                    contract = null;
                }
            }

            if (contract is not null)
            {
                await contract.RunAsync(runner, metadata).ConfigureAwait(false);
            }
            else if (type == PluginType.Custom)
            {
                runner.Skip("contract", "a custom plugin's contract is its application's; only the wire protocol is checked");
            }

            await ShutdownAsync(launch, channel, calls).ConfigureAwait(false);
        }

        await SigtermAsync(cancellationToken).ConfigureAwait(false);
        await StdinEndAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task RefusalWithoutCookieAsync(CancellationToken cancellationToken)
    {
        var launch = PluginLaunch.Start(options, withCookie: false, watchStdin: false);
        await using (launch.ConfigureAwait(false))
        {
            await runner.RunAsync("handshake.refused-without-cookie",
                "Check the magic cookie variable before anything else; without it print a message saying the binary is a plugin to stderr and exit with a non-zero code.",
                async ct =>
                {
                    var exited = await launch.WaitForExitAsync(options.StartTimeout, ct).ConfigureAwait(false);
                    Expect(exited, $"without the magic cookie the plugin kept running for {options.StartTimeout.TotalSeconds:0} s");
                    Expect(launch.Process.ExitCode != 0, "without the magic cookie the plugin exited with code 0");
                    await Task.Delay(100, ct).ConfigureAwait(false);
                    Expect(launch.Stderr.Trim().Length > 0, $"without the magic cookie the plugin exited with code {launch.Process.ExitCode} but wrote nothing to stderr",
                        "Say on stderr why the plugin refused to start: it is a plugin, started without its host's magic cookie.");
                }).ConfigureAwait(false);
        }
    }

    private Task SocketPermissionsAsync(PluginLaunch launch)
    {
        if (OperatingSystem.IsWindows() || launch.Handshake!.Network != HandshakeLine.UnixNetwork)
        {
            runner.Skip("socket.permissions", "the plugin listens on TCP; only a Unix socket has file permissions");
            return Task.CompletedTask;
        }

        return runner.RunAsync("socket.permissions",
            "Create the socket in a new folder of mode 0700 under PLUGIN_UNIX_SOCKET_DIR and give the socket mode 0600, so no other user can connect.",
            _ =>
            {
                if (OperatingSystem.IsWindows())
                {
                    return Task.CompletedTask;
                }

                var socket = launch.Handshake.Address;
                var socketMode = File.GetUnixFileMode(socket);
                Expect((socketMode & GroupOrOther & ~(UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute)) == 0
                    && (socketMode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) == 0,
                    $"the socket {socket} has mode {ToOctal(socketMode)}: other users can connect");
                var folder = Path.GetDirectoryName(socket)!;
                var underBase = Path.GetFullPath(folder).StartsWith(Path.GetFullPath(launch.SocketBase), StringComparison.Ordinal);
                if (options.GoPlugin && !underBase)
                {
                    // go-plugin before 1.5 ignores PLUGIN_UNIX_SOCKET_DIR and uses the system temp folder.
                    return Task.CompletedTask;
                }

                Expect(underBase, $"the socket {socket} is not under PLUGIN_UNIX_SOCKET_DIR ({launch.SocketBase})");
                var folderMode = File.GetUnixFileMode(folder);
                Expect((folderMode & GroupOrOther) == 0, $"the socket's folder {folder} has mode {ToOctal(folderMode)}, not 0700");
                return Task.CompletedTask;
            });
    }

    private Task HealthAsync(GrpcChannel channel, string service, string name) =>
        runner.RunAsync(name,
            $"Serve grpc.health.v1.Health and report SERVING for the service name \"{service}\" while the plugin can take calls.",
            async ct =>
            {
                var client = new Health.HealthClient(channel);
                var response = await client.CheckAsync(new HealthCheckRequest { Service = service }, deadline: DateTime.UtcNow + options.CallTimeout, cancellationToken: ct).ConfigureAwait(false);
                Expect(response.Status == HealthCheckResponse.Types.ServingStatus.Serving, $"health of \"{service}\" is {response.Status}, not SERVING");
            });

    private async Task DeclaredServicesAsync(GrpcChannel channel, PluginMetadata? metadata, CallOptionsFactory calls)
    {
        if (metadata is null)
        {
            runner.Skip("metadata.services", "no metadata");
            return;
        }

        if (metadata.Services.Count == 0)
        {
            runner.Skip("metadata.services", "the plugin declares no services (allowed, as plugins built before services were reported do)");
            return;
        }

        await runner.RunAsync("metadata.services",
            "List in metadata.services exactly the gRPC services the plugin serves, by full name (package.Service), including its type's built-in service.",
            async ct =>
            {
                var builtIn = ContractSuite.ServiceNameOf(metadata.Type);
                Expect(builtIn is null || metadata.Services.Contains(builtIn), $"metadata.services ({string.Join(", ", metadata.Services)}) lacks {builtIn}, the service of type {metadata.Type}");
                var invoker = channel.CreateCallInvoker();
                foreach (var service in metadata.Services)
                {
                    var method = new Method<byte[], byte[]>(MethodType.Unary, service, "ConformanceProbeNoSuchMethod", ByteMarshaller, ByteMarshaller);
                    var error = await ExpectRpcErrorAsync(() => invoker.AsyncUnaryCall(method, null, calls.Create(ct), []).ResponseAsync, $"{service}/ConformanceProbeNoSuchMethod").ConfigureAwait(false);
                    Expect(error.StatusCode == StatusCode.Unimplemented, $"an unknown method of {service} gave {error.StatusCode}, not Unimplemented");
                    // grpc-dotnet says "Service is unimplemented.", grpc-go "unknown service X" when the service itself is missing.
                    Expect(!error.Status.Detail.Contains("unknown service", StringComparison.OrdinalIgnoreCase)
                        && !error.Status.Detail.Contains("Service is unimplemented", StringComparison.OrdinalIgnoreCase),
                        $"{service} is declared but not served ({error.Status.Detail})");
                }
            }).ConfigureAwait(false);
    }

    private async Task ShutdownAsync(PluginLaunch launch, GrpcChannel channel, CallOptionsFactory calls)
    {
        if (options.GoPlugin)
        {
            runner.Skip("lifecycle.shutdown", "go-plugin mode: the host stops the plugin with a signal or plugin.GRPCController");
            launch.Terminate();
        }
        else
        {
            await runner.RunAsync("lifecycle.shutdown",
                "Answer PluginService/Shutdown with success after Init, then stop serving and exit.",
                async ct =>
                {
                    var client = new PluginService.PluginServiceClient(channel);
                    await client.ShutdownAsync(new ShutdownRequest { Reason = "conformance check" }, calls.Create(ct)).ConfigureAwait(false);
                    Expect(await launch.WaitForExitAsync(options.StartTimeout, ct).ConfigureAwait(false),
                        $"the plugin answered Shutdown but was still running {options.StartTimeout.TotalSeconds:0} s later");
                }).ConfigureAwait(false);
        }

        await runner.RunAsync("cleanup.socket-removed",
            "Remove the socket and its folder when the plugin stops.",
            async ct =>
            {
                if (!launch.Process.HasExited)
                {
                    launch.Terminate();
                    Expect(await launch.WaitForExitAsync(options.StartTimeout, ct).ConfigureAwait(false), "the plugin did not exit after Shutdown and SIGTERM");
                }

                SkipSocketCheckInGoPluginMode();
                ExpectSocketGone(launch, "after the plugin exited");
            }).ConfigureAwait(false);
    }

    private async Task SigtermAsync(CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows())
        {
            runner.Skip("exit.sigterm", "no SIGTERM on Windows");
            return;
        }

        var launch = PluginLaunch.Start(options, withCookie: true, watchStdin: false);
        await using (launch.ConfigureAwait(false))
        {
            await runner.RunAsync("exit.sigterm",
                "On SIGTERM stop serving, remove the socket and exit (a host and a service manager stop plugins this way).",
                async ct =>
                {
                    Expect(await launch.WaitForHandshakeAsync(options.StartTimeout, ct).ConfigureAwait(false), $"the plugin did not start: {launch.HandshakeError}");
                    launch.Terminate();
                    Expect(await launch.WaitForExitAsync(options.StartTimeout, ct).ConfigureAwait(false), $"the plugin was still running {options.StartTimeout.TotalSeconds:0} s after SIGTERM");
                    if (!options.GoPlugin)
                    {
                        // go-plugin leaves removing the socket to its host.
                        ExpectSocketGone(launch, "after SIGTERM");
                    }
                }).ConfigureAwait(false);
        }
    }

    private async Task StdinEndAsync(CancellationToken cancellationToken)
    {
        if (options.GoPlugin)
        {
            runner.Skip("exit.stdin-closed", "go-plugin mode: go-plugin plugins do not watch stdin");
            return;
        }

        var launch = PluginLaunch.Start(options, withCookie: true, watchStdin: true);
        await using (launch.ConfigureAwait(false))
        {
            await runner.RunAsync("exit.stdin-closed",
                $"When {PluginProtocol.StdinWatchVariable}=1, exit when stdin reaches its end (the host is gone), and remove the socket.",
                async ct =>
                {
                    Expect(await launch.WaitForHandshakeAsync(options.StartTimeout, ct).ConfigureAwait(false), $"the plugin did not start: {launch.HandshakeError}");
                    launch.Process.StandardInput.Close();
                    Expect(await launch.WaitForExitAsync(options.StartTimeout, ct).ConfigureAwait(false), $"the plugin was still running {options.StartTimeout.TotalSeconds:0} s after its stdin closed");
                    ExpectSocketGone(launch, "after stdin closed");
                }).ConfigureAwait(false);
        }
    }

    private void SkipSocketCheckInGoPluginMode()
    {
        if (options.GoPlugin)
        {
            throw new CheckSkippedException("the plugin exited; go-plugin leaves removing the socket to its host");
        }
    }

    private static void ExpectSocketGone(PluginLaunch launch, string when)
    {
        var socket = launch.Handshake?.Address;
        if (socket is null || launch.Handshake!.Network != HandshakeLine.UnixNetwork)
        {
            return;
        }

        Expect(!File.Exists(socket) && !Directory.Exists(socket), $"the socket {socket} was left behind {when}");
        var folder = Path.GetDirectoryName(socket)!;
        Expect(folder == launch.SocketBase || !Directory.Exists(folder), $"the socket folder {folder} was left behind {when}");
    }

    private static bool IsKnownApiVersion(string version) =>
        PluginProtocol.AppProtocolVersions.Any(v => PluginProtocol.ApiVersionName(v) == version);

    private static string ChooseApiVersion(PluginMetadata? metadata) =>
        PluginProtocol.AppProtocolVersions.OrderDescending().Select(PluginProtocol.ApiVersionName)
            .FirstOrDefault(v => metadata is null || metadata.ApiVersions.Count == 0 || metadata.ApiVersions.Contains(v))
        ?? PluginProtocol.ApiVersionName(PluginProtocol.MinAppProtocolVersion);

    private static string ToOctal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8);

    private static string Tail(string text) => text.Length <= 300 ? text : "..." + text[^300..];

    private static readonly Marshaller<byte[]> ByteMarshaller = Marshallers.Create(b => b, b => b);
}
