using Grpc.Core;

namespace GrpcPlugins.Sdk;

/// <summary>
/// The context of the current call as the host sent it: the transfer, user and request it belongs to,
/// its deadline and its cancellation. Get it with <see cref="ServerCallContextExtensions.GetPluginContext"/>.
/// </summary>
/// <param name="TransferId">The transfer the call belongs to, or null.</param>
/// <param name="UserId">The user on whose behalf the call is made, or null.</param>
/// <param name="RequestId">The host request that caused the call, or null.</param>
/// <param name="Deadline">When the host gives up on the call; <see cref="DateTime.MaxValue"/> when it set none.</param>
/// <param name="CancellationToken">Cancelled when the host cancels the call or its deadline passes.</param>
public sealed record PluginCallContext(
    string? TransferId,
    string? UserId,
    string? RequestId,
    DateTime Deadline,
    CancellationToken CancellationToken);

/// <summary>Reads the <see cref="PluginCallContext"/> of a gRPC call.</summary>
public static class ServerCallContextExtensions
{
    /// <summary>Gets the context the host sent with this call.</summary>
    /// <param name="context">The gRPC call's context.</param>
    /// <returns>The call's plugin context.</returns>
    public static PluginCallContext GetPluginContext(this ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var headers = context.RequestHeaders;
        return new PluginCallContext(
            ValueOf(headers, PluginProtocol.TransferIdHeader),
            ValueOf(headers, PluginProtocol.UserIdHeader),
            ValueOf(headers, PluginProtocol.RequestIdHeader),
            context.Deadline,
            context.CancellationToken);
    }

    private static string? ValueOf(Metadata headers, string key) => MonitorEventExtensions.NullIfEmpty(headers.GetValue(key));
}

/// <summary>Reads the <see cref="PluginCallContext"/> of one event in a v2 monitor batch.</summary>
public static class MonitorEventExtensions
{
    /// <summary>
    /// Gets the context of the request that caused <paramref name="monitorEvent"/>: its own transfer, user and request
    /// ids, with the deadline and cancellation of the batch call that delivered it.
    /// </summary>
    /// <param name="monitorEvent">An event of a <c>PublishEvents</c> batch.</param>
    /// <param name="call">The context of the <c>PublishEvents</c> call.</param>
    /// <returns>The event's plugin context.</returns>
    public static PluginCallContext GetPluginContext(this Monitor.V2.MonitorEvent monitorEvent, ServerCallContext call)
    {
        ArgumentNullException.ThrowIfNull(monitorEvent);
        ArgumentNullException.ThrowIfNull(call);
        var ids = monitorEvent.Context;
        return new PluginCallContext(NullIfEmpty(ids?.TransferId), NullIfEmpty(ids?.UserId), NullIfEmpty(ids?.RequestId), call.Deadline, call.CancellationToken);
    }

    // An id the host did not send arrives empty; the context says null, as for v1 call metadata.
    internal static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
