using Npgsql;

namespace PostgresStorage.Internal;

/// <summary>
/// The content of one object read as a stream, one chunk row at a time from an open reader, so memory holds one
/// chunk however large the object. The first row is entered at <paramref name="skip"/> bytes (a Range's offset).
/// Owns the reader, its transaction and connection.
/// </summary>
internal sealed class ChunkRowStream(NpgsqlConnection connection, NpgsqlTransaction transaction, NpgsqlDataReader reader, int skip) : Stream
{
    private byte[] _chunk = [];
    private int _position;
    private int _skip = skip;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_position == _chunk.Length)
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return 0;
            }

            _chunk = await reader.GetFieldValueAsync<byte[]>(0, cancellationToken);
            _position = Math.Min(_skip, _chunk.Length);
            _skip = 0;
        }

        var count = Math.Min(buffer.Length, _chunk.Length - _position);
        _chunk.AsMemory(_position, count).CopyTo(buffer);
        _position += count;
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        await reader.DisposeAsync();
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            reader.Dispose();
            transaction.Dispose();
            connection.Dispose();
        }

        base.Dispose(disposing);
    }
}
