using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using Grpc.Core;
using GrpcPlugins.Sdk.Internal;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.Sdk;

/// <summary>The content of a Store call: its metadata, and its bytes as a <see cref="Stream"/>.</summary>
/// <param name="Metadata">The metadata the host sent first.</param>
/// <param name="Content">The content, read as the host sends it: chunk by chunk, or from the plugin's data channel.</param>
public sealed record StoreUpload(ObjectMetadata Metadata, Stream Content)
{
    /// <summary>The key of <see cref="PluginException.Metadata"/> that carries the limit <see cref="ReceiveIntoAsync"/> refused content over.</summary>
    public const string MaxBytesKey = "max_bytes";

    private const int CopyBufferSize = 256 * 1024;

    private string? _receivedSha256;

    /// <summary>The end-marker check of this call, when the host promised one.</summary>
    internal StoreEndReader? EndCheck { get; init; }

    /// <summary>The data channel of this call, when the content comes over one.</summary>
    internal DataChannelStoreReader? DataChannel { get; init; }

    /// <summary>
    /// Whether reading <see cref="Content"/> to its end also checks it against the host's StoreEnd (size and SHA-256), so
    /// that <see cref="ContentSha256"/> then gives the content's digest and the plugin need not hash the bytes again.
    /// True for every Store from a host that promised a StoreEnd (it does for plugins declaring
    /// <see cref="GrpcPlugins.Plugin.V1.Capability.StoreEnd"/>, as <see cref="PluginBuilder.AddStorage{TService}"/> does).
    /// </summary>
    public bool ContentChecked => EndCheck is not null;

    /// <summary>
    /// The SHA-256 of the content as 64 lowercase hex digits: after <see cref="ReceiveIntoAsync"/> returned, always; after
    /// <see cref="Content"/> has been read to its end and matched the host's StoreEnd, too. Null before that, or when
    /// <see cref="ContentChecked"/> is false and the content was read from <see cref="Content"/> (hash it yourself then).
    /// </summary>
    public string? ContentSha256 => _receivedSha256 ?? EndCheck?.CheckedSha256;

    /// <summary>
    /// Receives the whole content into <paramref name="file"/>, checked, and ready for the plugin to commit (flush it to
    /// disk and move it into place) or discard. When the host asked for it (a Store over the data channel of a plugin that
    /// declares <see cref="GrpcPlugins.Plugin.V1.Capability.DataChannelStoreFiles"/>, as <see cref="PluginBuilder.AddStorage{TService}"/>
    /// does on 64-bit Linux), the file's open descriptor is passed to the host, which writes the content into it itself,
    /// so the bytes never pass through this process; the file's length is then checked against the host's StoreEnd, whose
    /// SHA-256 becomes <see cref="ContentSha256"/>. Otherwise the bytes are read from <see cref="Content"/> and written to
    /// <paramref name="file"/> here. Either way the plugin keeps deciding where the file is, who may read it, and what is
    /// committed: the host gets this one descriptor and nothing else, and only for this call.
    /// </summary>
    /// <param name="file">An empty file opened for writing and seeking, such as a new temp file; written from offset 0.</param>
    /// <param name="maxBytes">The most bytes this plugin takes; 0 for no limit. Content over it is refused before more is written.</param>
    /// <param name="cancellationToken">The call's cancellation.</param>
    /// <returns>The content's size; <see cref="ContentSha256"/> then holds its digest.</returns>
    /// <exception cref="PluginException">
    /// The content is larger than <paramref name="maxBytes"/> (ResourceExhausted, with <see cref="MaxBytesKey"/> in its
    /// metadata); the upload was cut off (Cancelled) or damaged (InvalidArgument). The file may then hold part of the
    /// content: discard it.
    /// </exception>
    /// <exception cref="InvalidOperationException">The content was already received.</exception>
    /// <exception cref="ArgumentException"><paramref name="file"/> is not empty, or not open for writing and seeking.</exception>
    public async Task<long> ReceiveIntoAsync(FileStream file, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        if (!file.CanWrite || !file.CanSeek || file.Length != 0)
        {
            throw new ArgumentException("Give an empty file opened for writing, such as a new temp file.", nameof(file));
        }

        if (_receivedSha256 is not null)
        {
            throw new InvalidOperationException("The content was already received; a Store's content can be received once.");
        }

        if (DataChannel is { CanPassFile: true } dataChannel)
        {
            var end = await dataChannel.PassFileAsync(file.SafeFileHandle, maxBytes, cancellationToken).ConfigureAwait(false);
            if (maxBytes > 0 && end.TotalSize > maxBytes)
            {
                throw TooLarge(maxBytes);
            }

            EndCheck!.AcceptPassedFile(end, RandomAccess.GetLength(file.SafeFileHandle));
            file.Seek(0, SeekOrigin.End);
            _receivedSha256 = EndCheck.CheckedSha256;
            return end.TotalSize;
        }

        using var hash = ContentChecked ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            long size = 0;
            int read;
            while ((read = await Content.ReadAsync(buffer.AsMemory(0, CopyBufferSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                size += read;
                if (maxBytes > 0 && size > maxBytes)
                {
                    throw TooLarge(maxBytes);
                }

                hash?.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }

            // The content ended, so its end check (when it has one) has passed and gave the digest of exactly these bytes.
            _receivedSha256 = hash is null ? EndCheck!.CheckedSha256 : Convert.ToHexStringLower(hash.GetHashAndReset());
            return size;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static PluginException TooLarge(long maxBytes) =>
        new(PluginErrorCode.ResourceExhausted, $"The content is larger than this storage's limit of {maxBytes} bytes; nothing was stored. Send less, or raise the limit.")
        {
            Metadata = new Dictionary<string, string> { [MaxBytesKey] = maxBytes.ToString(CultureInfo.InvariantCulture) },
        };
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
    /// Commit only after the content has been read to its end, and a failed upload leaves nothing behind. A plugin that
    /// stores content in files should receive it with <see cref="StoreUpload.ReceiveIntoAsync"/>, which lets the host
    /// write it straight into the plugin's file when it can.
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
        return new StoreUpload(requestStream.Current.Metadata, content) { EndCheck = endCheck, DataChannel = requestStream as DataChannelStoreReader };
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
