using GrpcPlugins.Internal;
using Npgsql;

namespace PostgresStorage.Internal;

/// <summary>
/// The content of one object read as a stream, one chunk row at a time from an open reader, so memory holds one
/// chunk however large the object. The first row is entered at <paramref name="skip"/> bytes (a Range's offset).
/// Owns the reader, its transaction and connection.
/// </summary>
internal sealed class ChunkRowStream(NpgsqlConnection connection, NpgsqlTransaction transaction, NpgsqlDataReader reader, int skip) : ReadOnlyStream
{
    private byte[] _chunk = [];
    private int _position;
    private int _skip = skip;

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
