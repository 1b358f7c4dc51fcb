using GrpcPlugins.Internal;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// The caller's content of a Store, remembering whether reading it failed: a Store that fails because its source did
/// (an upload whose client went away) must not wait for the plugin's answer, which would never come.
/// </summary>
internal sealed class ContentSource(Stream inner) : ReadOnlyStream
{
    /// <summary>Whether a read of the caller's stream threw.</summary>
    public bool Failed { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Failed = true;
            throw;
        }
    }
}
