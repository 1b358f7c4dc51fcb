using System.Net.Sockets;
using Grpc.Core;
using Grpc.Core.Interceptors;
using GrpcPlugins.Internal;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>
/// Gives a Store or Retrieve call whose host sent its content over the data channel the same streams as any other call:
/// the author's code reads chunk messages from, or writes them to, the data-channel connection without knowing it. The
/// gRPC call still carries the metadata first and the outcome last.
/// </summary>
internal sealed class DataChannelInterceptor(DataChannelListener listener) : Interceptor
{
    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        // A host that promised a StoreEnd gets it checked here, whichever way the content comes.
        using var storeEnd = requestStream is IAsyncStreamReader<StoreRequest> checkedStore && context.RequestHeaders.GetValue(PluginProtocol.StoreEndHeader) is not null
            ? new StoreEndReader(checkedStore)
            : null;
        if (storeEnd is not null)
        {
            requestStream = (IAsyncStreamReader<TRequest>)(object)storeEnd;
        }

        if (TokenOf(context) is not { } token)
        {
            return await continuation(requestStream, context).ConfigureAwait(false);
        }

        if (requestStream is not IAsyncStreamReader<StoreRequest> store)
        {
            throw NotForThisCall(context);
        }

        using var connection = await listener.TakeAsync(token, context.CancellationToken).ConfigureAwait(false);
        // A file is passed only to a host that asked and promised the StoreEnd its size is checked against, on a platform
        // where this SDK declared it can (PluginBuilder.AddStorage).
        var reader = new DataChannelStoreReader(store, connection, storeEnd is not null && FilesAccepted(context));
        return await continuation((IAsyncStreamReader<TRequest>)(object)reader, context).ConfigureAwait(false);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        if (TokenOf(context) is not { } token)
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
            return;
        }

        if (responseStream is not IServerStreamWriter<RetrieveResponse> retrieve)
        {
            throw NotForThisCall(context);
        }

        // Closed without a clean end when the author's code fails: the host then reads this call's status for the reason.
        using var connection = await listener.TakeAsync(token, context.CancellationToken).ConfigureAwait(false);
        // Files are passed only to a host that asked, on a platform where this SDK declared it can (PluginBuilder.AddStorage).
        var writer = new DataChannelRetrieveWriter(retrieve, connection, FilesAccepted(context));
        await continuation(request, (IServerStreamWriter<TResponse>)(object)writer, context).ConfigureAwait(false);
        connection.Shutdown(SocketShutdown.Send);
    }

    private static bool FilesAccepted(ServerCallContext context) =>
        UnixRights.IsSupported && context.RequestHeaders.GetValue(PluginProtocol.DataChannelFilesHeader) == "1";

    private string? TokenOf(ServerCallContext context)
    {
        var token = context.RequestHeaders.GetValue(PluginProtocol.DataChannelHeader);
        if (token is null)
        {
            return null;
        }

        if (listener.Path is null)
        {
            throw Refused(context, "but this plugin offers no data channel (its metadata names none); send the content as chunk messages.");
        }

        return DataChannelToken.IsValid(token) ? token : throw Refused(context, "but the token is not 32 lowercase hex digits.");
    }

    private static PluginException NotForThisCall(ServerCallContext context) =>
        Refused(context, "but only Store and Retrieve of a storage plugin send content over the data channel.");

    private static PluginException Refused(ServerCallContext context, string why) =>
        new(PluginErrorCode.InvalidArgument, $"The call {context.Method} has a {PluginProtocol.DataChannelHeader} header, {why}")
        {
            ErrorSource = PluginErrorSource.Host,
        };
}
