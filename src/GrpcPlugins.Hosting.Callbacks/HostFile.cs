using GrpcPlugins.HostCallbacks.V1;

namespace GrpcPlugins.Hosting.Callbacks;

/// <summary>A stored file opened by an <see cref="IHostFileSource"/>: its metadata and its content.</summary>
/// <param name="Metadata">The file's metadata, sent first.</param>
/// <param name="Content">The file's content from the requested offset, read to its end and disposed by the callback service.</param>
/// <param name="Owner">Disposed after <paramref name="Content"/>, such as the storage call that produces it; null for none.</param>
public sealed record HostFile(FileMetadata Metadata, Stream Content, IDisposable? Owner = null);
