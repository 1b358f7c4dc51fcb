using Grpc.Core;
using GrpcPlugins.HostCallbacks.V1;

namespace GrpcPlugins.Sdk;

/// <summary>A stored file opened through <see cref="HostFiles.OpenAsync"/>: its metadata and its content.</summary>
public sealed class HostFileContent : IDisposable
{
    private readonly IDisposable _call;

    internal HostFileContent(FileMetadata metadata, Stream content, IDisposable call)
    {
        Metadata = metadata;
        Content = content;
        _call = call;
    }

    /// <summary>The file's metadata: name, size, media type, SHA-256 when known, owner.</summary>
    public FileMetadata Metadata { get; }

    /// <summary>The file's content, read once from start to end.</summary>
    public Stream Content { get; }

    /// <summary>Ends the call, also when the content was not read to its end.</summary>
    public void Dispose()
    {
        Content.Dispose();
        _call.Dispose();
    }
}
