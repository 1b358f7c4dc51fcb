using Grpc.Core;
using GrpcPlugins.Sdk.Internal;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.Sdk;

/// <summary>The content of a Store call: its metadata, and its bytes as a <see cref="Stream"/>.</summary>
/// <param name="Metadata">The metadata the host sent first.</param>
/// <param name="Content">The content, read as the host sends it: chunk by chunk, or from the plugin's data channel.</param>
public sealed record StoreUpload(ObjectMetadata Metadata, Stream Content)
{
    /// <summary>The end-marker check of this call, when the host promised one.</summary>
    internal StoreEndReader? EndCheck { get; init; }

    /// <summary>
    /// Whether reading <see cref="Content"/> to its end also checks it against the host's StoreEnd (size and SHA-256), so
    /// that <see cref="ContentSha256"/> then gives the content's digest and the plugin need not hash the bytes again.
    /// True for every Store from a host that promised a StoreEnd (it does for plugins declaring
    /// <see cref="GrpcPlugins.Plugin.V1.Capability.StoreEnd"/>, as <see cref="PluginBuilder.AddStorage{TService}"/> does).
    /// </summary>
    public bool ContentChecked => EndCheck is not null;

    /// <summary>
    /// The SHA-256 of the content as 64 lowercase hex digits, once <see cref="Content"/> has been read to its end and
    /// matched the host's StoreEnd; null before that, or when <see cref="ContentChecked"/> is false (hash it yourself then).
    /// </summary>
    public string? ContentSha256 => EndCheck?.CheckedSha256;
}

/// <summary>Helpers that turn a storage plugin's gRPC streams into .NET streams.</summary>
public static class StorageStreams
{
    /// <summary>Reads a Store call's first message, its metadata, and gives the rest as a stream.</summary>
    /// <param name="requestStream">The Store call's request stream.</param>
    /// <param name="cancellationToken">The call's cancellation.</param>
    /// <returns>The metadata and the content.</returns>
    /// <remarks>
    /// When the host promised an end marker (it does for every plugin that declares <see cref="GrpcPlugins.Plugin.V1.Capability.StoreEnd"/>,
    /// which <see cref="PluginBuilder.AddStorage{TService}"/> does), reading <see cref="StoreUpload.Content"/> to its end
    /// also checks the marker: a stream cut off before it fails with <see cref="PluginErrorCode.Cancelled"/>, and a
    /// marker whose size or SHA-256 disagrees with what arrived fails with <see cref="PluginErrorCode.InvalidArgument"/>.
    /// Commit only after the content has been read to its end, and a failed upload leaves nothing behind.
    /// </remarks>
    /// <exception cref="PluginException">The stream is empty or does not begin with metadata (InvalidArgument).</exception>
    public static async Task<StoreUpload> ReadStoreAsync(this IAsyncStreamReader<StoreRequest> requestStream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        if (!await requestStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, "The Store stream was empty: send a metadata message first, then the chunks.");
        }

        if (requestStream.Current.PartCase != StoreRequest.PartOneofCase.Metadata)
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, "The Store stream must begin with a metadata message, then the chunks.");
        }

        var content = requestStream is DataChannelStoreReader dataChannel
            ? dataChannel.Content
            : new ChunkReadStream<StoreRequest>(requestStream, m => m.PartCase == StoreRequest.PartOneofCase.Chunk ? m.Chunk : null);
        var endCheck = requestStream switch
        {
            StoreEndReader direct => direct,
            DataChannelStoreReader { EndCheck: { } viaDataChannel } => viaDataChannel,
            _ => null,
        };
        return new StoreUpload(requestStream.Current.Metadata, content) { EndCheck = endCheck };
    }

    /// <summary>Writes a Retrieve answer: the metadata first, then the content in chunks.</summary>
    /// <param name="responseStream">The Retrieve call's response stream.</param>
    /// <param name="metadata">The content's metadata.</param>
    /// <param name="content">The content to send, read from its current position.</param>
    /// <param name="maxBytes">The most bytes to send; null sends to the end.</param>
    /// <param name="cancellationToken">The call's cancellation.</param>
    /// <returns>The number of content bytes written.</returns>
    public static async Task<long> WriteRetrieveAsync(
        this IServerStreamWriter<RetrieveResponse> responseStream,
        ObjectMetadata metadata,
        Stream content,
        long? maxBytes,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(content);
        await responseStream.WriteAsync(new RetrieveResponse { Metadata = metadata }, cancellationToken).ConfigureAwait(false);
        if (responseStream is DataChannelRetrieveWriter dataChannel)
        {
            return await dataChannel.CopyAsync(content, maxBytes, cancellationToken).ConfigureAwait(false);
        }

        return await ChunkWriter.CopyAsync(content, responseStream, c => new RetrieveResponse { Chunk = c }, maxBytes: maxBytes, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
