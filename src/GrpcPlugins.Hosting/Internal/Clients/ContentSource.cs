using System.Security.Cryptography;
using GrpcPlugins.Internal;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// The caller's content of a Store, remembering whether reading it failed: a Store that fails because its source did
/// (an upload whose client went away) must not wait for the plugin's answer, which would never come.
/// </summary>
internal sealed class ContentSource(Stream inner) : ReadOnlyStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _size;

    /// <summary>Whether a read of the caller's stream threw.</summary>
    public bool Failed { get; private set; }

    /// <summary>The end marker of the content read so far: its size and SHA-256, for a plugin with CAPABILITY_STORE_END.</summary>
    public StoreEnd End() => new() { TotalSize = _size, Sha256 = Convert.ToHexStringLower(_hash.GetCurrentHash()) };

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            _hash.AppendData(buffer.Span[..read]);
            _size += read;
            return read;
        }
        catch
        {
            Failed = true;
            throw;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }
}
