using Grpc.Core;
using Grpc.Net.Client;
using GrpcPlugins.Plugin.V1;
using static GrpcPlugins.Conformance.Internal.CheckRunner;

namespace GrpcPlugins.Conformance.Internal;

/// <summary>The checks of one built-in contract, run after Init; each contract also supplies a failing call for the error-detail check.</summary>
internal abstract class ContractSuite(ConformanceOptions options, GrpcChannel channel, CallOptionsFactory calls)
{
    protected ConformanceOptions Options { get; } = options;

    protected GrpcChannel Channel { get; } = channel;

    protected CallOptionsFactory Calls { get; } = calls;

    public abstract string ServiceName { get; }

    public static string? ServiceNameOf(PluginType type) => type switch
    {
        PluginType.Auth => Auth.V1.AuthService.Descriptor.FullName,
        PluginType.Storage => Storage.V1.StorageService.Descriptor.FullName,
        PluginType.Protocol => Protocol.V1.ProtocolService.Descriptor.FullName,
        PluginType.Monitor => Monitor.V1.MonitorService.Descriptor.FullName,
        _ => null,
    };

    public static ContractSuite? For(PluginType type, ConformanceOptions options, GrpcChannel channel, CallOptionsFactory calls, PluginLaunch launch) => type switch
    {
        PluginType.Auth => new AuthSuite(options, channel, calls),
        PluginType.Storage => new StorageSuite(options, channel, calls, launch),
        PluginType.Protocol => new ProtocolContractSuite(options, channel, calls),
        PluginType.Monitor => new MonitorSuite(options, channel, calls),
        _ => null,
    };

    /// <summary>A cheap call of the contract, which must be refused before Init.</summary>
    public abstract Task CallBeforeInitAsync(CancellationToken cancellationToken);

    /// <summary>A call that must fail (an unknown id, bad credentials), or null when the contract has none.</summary>
    protected abstract Func<CancellationToken, Task>? FailingCall { get; }

    public async Task RunAsync(CheckRunner runner, PluginMetadata? metadata)
    {
        await runner.RunAsync("context.request-metadata",
            $"Accept the context headers a host sends ({PluginProtocol.RequestIdHeader}, {PluginProtocol.UserIdHeader}, {PluginProtocol.TransferIdHeader}) on every call; read them for logs, never refuse a call for them.",
            async ct =>
            {
                try
                {
                    await CallBeforeInitAsync(ct).ConfigureAwait(false);
                }
                catch (RpcException ex) when (ex.StatusCode is StatusCode.NotFound or StatusCode.Unauthenticated or StatusCode.PermissionDenied)
                {
                    // The call was taken and answered on its merits.
                }
            }).ConfigureAwait(false);
        await RunContractAsync(runner, metadata).ConfigureAwait(false);
        var failing = FailingCall;
        if (failing is null)
        {
            runner.Skip("errors.detail", "the contract has no call that must fail");
            return;
        }

        await runner.RunAsync("errors.detail",
            "Fail calls with a gRPC status whose grpc-status-details-bin holds a google.rpc.Status with a grpcplugins.plugin.v1.PluginError detail and a non-zero code (the SDKs' PluginException does this).",
            async ct =>
            {
                var error = await ExpectRpcErrorAsync(() => failing(ct), "the failing call").ConfigureAwait(false);
                var status = error.GetRpcStatus();
                var detail = status?.Details.FirstOrDefault(d => d.Is(PluginError.Descriptor))?.Unpack<PluginError>();
                if (detail is null && Options.GoPlugin)
                {
                    throw new CheckSkippedException($"go-plugin mode: the call failed with {error.StatusCode} and no PluginError detail, which a host maps from the status code");
                }

                Expect(status is not null, $"the call failed with {error.StatusCode} ({error.Status.Detail}) but carried no google.rpc.Status in grpc-status-details-bin");
                Expect(detail is not null, $"the google.rpc.Status of the failure ({error.StatusCode}) carries no grpcplugins.plugin.v1.PluginError detail");
                Expect(detail!.Code != ErrorCode.Unspecified, "the PluginError detail has code ERROR_CODE_UNSPECIFIED", "Set PluginError.code to the typed code of the failure, such as ERROR_CODE_NOT_FOUND.");
            }).ConfigureAwait(false);
    }

    protected abstract Task RunContractAsync(CheckRunner runner, PluginMetadata? metadata);

    protected static async Task ExpectStatusAsync(Func<Task> call, string what, params StatusCode[] codes)
    {
        var error = await ExpectRpcErrorAsync(call, what).ConfigureAwait(false);
        Expect(codes.Contains(error.StatusCode), $"{what} failed with {error.StatusCode} ({error.Status.Detail}), expected {string.Join(" or ", codes)}");
    }
}
