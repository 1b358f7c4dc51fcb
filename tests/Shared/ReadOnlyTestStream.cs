namespace GrpcPlugins.TestSupport;

/// <summary>
/// A forward-only, read-only <see cref="Stream"/> for tests and benchmarks: a subclass supplies its reads (and, if it has
/// them, its length and position); the rest is here. Shared by linking, as the test projects do with HostReadiness.
/// </summary>
internal abstract class ReadOnlyTestStream : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
