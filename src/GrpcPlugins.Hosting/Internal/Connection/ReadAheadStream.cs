namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// A connection stream that reads from its socket in 64 KiB pieces and hands them out as asked; writes pass straight
/// through. The HTTP/2 client asks for little at a time, and each small read would otherwise be a system call.
/// </summary>
internal sealed class ReadAheadStream(Stream inner) : Stream
{
    public const int BufferSize = 64 * 1024;

    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(BufferSize);
    private int _start;
    private int _end;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (destination.IsEmpty)
        {
            return 0;
        }

        if (_start == _end)
        {
            if (destination.Length >= BufferSize)
            {
                return await inner.ReadAsync(destination, cancellationToken).ConfigureAwait(false);
            }

            _start = 0;
            _end = await inner.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
            if (_end == 0)
            {
                return 0;
            }
        }

        return TakeBuffered(destination.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> destination)
    {
        if (destination.IsEmpty)
        {
            return 0;
        }

        if (_start == _end)
        {
            if (destination.Length >= BufferSize)
            {
                return inner.Read(destination);
            }

            _start = 0;
            _end = inner.Read(_buffer);
            if (_end == 0)
            {
                return 0;
            }
        }

        return TakeBuffered(destination);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) => inner.WriteAsync(source, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    private int TakeBuffered(Span<byte> destination)
    {
        var count = Math.Min(destination.Length, _end - _start);
        _buffer.AsSpan(_start, count).CopyTo(destination);
        _start += count;
        return count;
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();
}
