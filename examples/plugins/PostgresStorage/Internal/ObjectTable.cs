using System.Data;
using System.Security.Cryptography;
using FileSystemStorage.Internal;
using Google.Protobuf;
using GrpcPlugins;
using GrpcPlugins.Storage.V1;
using Npgsql;
using NpgsqlTypes;

namespace PostgresStorage.Internal;

/// <summary>
/// Objects in PostgreSQL: a row of metadata in <c>storage_objects</c> and the content in fixed-size rows of
/// <c>storage_chunks</c>. A Store is one transaction, so other sessions see the whole object or nothing.
/// </summary>
internal sealed class ObjectTable(NpgsqlDataSource dataSource, int chunkSize)
{
    private const string UniqueViolation = "23505";

    /// <summary>The object stored under an idempotency key, if any.</summary>
    public async Task<Item?> FindByKeyAsync(string key, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT id, metadata FROM storage_objects WHERE idempotency_key = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new Item { Id = reader.GetString(0), Metadata = Parse(reader, 1) } : null;
    }

    /// <summary>The metadata of an object, or null when no committed object has the id.</summary>
    public async Task<ObjectMetadata?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT metadata FROM storage_objects WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Parse(reader, 0) : null;
    }

    /// <summary>
    /// Stores <paramref name="content"/> in one transaction: the metadata row, then chunk rows as the bytes arrive,
    /// hashed on the way, then the final size and digest. Any failure or cancellation before the commit rolls it all back.
    /// </summary>
    /// <returns>The stored item, or null when another Store holding the same idempotency key committed first.</returns>
    public async Task<Item?> StoreAsync(ObjectMetadata metadata, Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        var id = ObjectIds.New();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        try
        {
            // Inserted first so the chunks can reference it; the key's unique index makes a concurrent twin wait for this commit.
            await using var insert = new NpgsqlCommand(
                "INSERT INTO storage_objects (id, name, size, chunk_size, idempotency_key, metadata) VALUES ($1, $2, 0, $3, $4, $5)", connection, transaction);
            insert.Parameters.Add(new NpgsqlParameter { Value = id });
            insert.Parameters.Add(new NpgsqlParameter { Value = metadata.Name });
            insert.Parameters.Add(new NpgsqlParameter { Value = chunkSize });
            insert.Parameters.Add(new NpgsqlParameter { Value = metadata.IdempotencyKey.Length > 0 ? metadata.IdempotencyKey : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = Array.Empty<byte>() });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == UniqueViolation && ex.ConstraintName?.Contains("idempotency_key", StringComparison.Ordinal) == true)
        {
            return null;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[chunkSize];
        long size = 0;
        var seq = 0;
        await using (var chunk = new NpgsqlCommand("INSERT INTO storage_chunks (object_id, seq, data) VALUES ($1, $2, $3)", connection, transaction))
        {
            var objectId = new NpgsqlParameter<string> { TypedValue = id };
            var number = new NpgsqlParameter<int>();
            var data = new NpgsqlParameter<ReadOnlyMemory<byte>> { NpgsqlDbType = NpgsqlDbType.Bytea };
            chunk.Parameters.Add(objectId);
            chunk.Parameters.Add(number);
            chunk.Parameters.Add(data);
            while (true)
            {
                var read = await content.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
                if (read == 0)
                {
                    break;
                }

                size += read;
                if (maxBytes > 0 && size > maxBytes)
                {
                    throw new PluginException(PluginErrorCode.ResourceExhausted, $"The object is larger than the {maxBytes} bytes allowed ('max_object_bytes'); nothing was stored.");
                }

                hash.AppendData(buffer, 0, read);
                number.TypedValue = seq++;
                data.TypedValue = buffer.AsMemory(0, read);
                await chunk.ExecuteNonQueryAsync(cancellationToken);
                if (read < buffer.Length)
                {
                    break;
                }
            }
        }

        var stored = metadata.Clone();
        stored.Size = size;
        stored.Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
        stored.CreatedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow);
        if (string.IsNullOrEmpty(stored.MimeType))
        {
            stored.MimeType = "application/octet-stream";
        }

        await using (var finish = new NpgsqlCommand("UPDATE storage_objects SET size = $2, metadata = $3 WHERE id = $1", connection, transaction))
        {
            finish.Parameters.Add(new NpgsqlParameter { Value = id });
            finish.Parameters.Add(new NpgsqlParameter { Value = size });
            finish.Parameters.Add(new NpgsqlParameter { Value = stored.ToByteArray() });
            await finish.ExecuteNonQueryAsync(cancellationToken);
        }

        // The content was read to its end (and its StoreEnd checked): the commit is not cancelled half-way by the caller.
        await transaction.CommitAsync(CancellationToken.None);
        return new Item { Id = id, Metadata = stored };
    }

    /// <summary>
    /// Opens the content of an object from byte <paramref name="offset"/>, in a read-only snapshot so a Delete running
    /// meanwhile cannot cut the answer short; null when the object does not exist.
    /// </summary>
    public async Task<(ObjectMetadata Metadata, Stream Content)?> OpenAsync(string id, long offset, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        NpgsqlTransaction? transaction = null;
        try
        {
            transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
            ObjectMetadata metadata;
            int rowSize;
            await using (var find = new NpgsqlCommand("SELECT metadata, chunk_size FROM storage_objects WHERE id = $1", connection, transaction))
            {
                find.Parameters.Add(new NpgsqlParameter { Value = id });
                await using var row = await find.ExecuteReaderAsync(cancellationToken);
                if (!await row.ReadAsync(cancellationToken))
                {
                    await transaction.DisposeAsync();
                    await connection.DisposeAsync();
                    return null;
                }

                metadata = Parse(row, 0);
                rowSize = row.GetInt32(1);
            }

            var first = offset / rowSize;
            var chunks = new NpgsqlCommand("SELECT data FROM storage_chunks WHERE object_id = $1 AND seq >= $2 ORDER BY seq", connection, transaction);
            chunks.Parameters.Add(new NpgsqlParameter { Value = id });
            chunks.Parameters.Add(new NpgsqlParameter { Value = (int)first });
            var reader = await chunks.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
            return (metadata, new ChunkRowStream(connection, transaction, reader, (int)(offset - (first * rowSize))));
        }
        catch
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync();
            }

            await connection.DisposeAsync();
            throw;
        }
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        // The chunks go with the row (ON DELETE CASCADE), in the same statement's transaction.
        await using var command = dataSource.CreateCommand("DELETE FROM storage_objects WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>One page of items whose name starts with <paramref name="prefix"/>, in (name, id) order after <paramref name="after"/>.</summary>
    public async Task<(List<Item> Items, PageToken? Next)> ListAsync(string prefix, int limit, PageToken? after, CancellationToken cancellationToken)
    {
        // left() compares the prefix exactly; LIKE would treat '%' and '_' in names as wildcards.
        await using var command = dataSource.CreateCommand("""
            SELECT id, metadata FROM storage_objects
            WHERE left(name, length($1)) = $1 AND ($2::text IS NULL OR (name, id) > ($2::text COLLATE "C", $3::text))
            ORDER BY name, id LIMIT $4
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = prefix, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)after?.Name ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)after?.Id ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = limit + 1 });
        var items = new List<Item>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(new Item { Id = reader.GetString(0), Metadata = Parse(reader, 1) });
            }
        }

        if (items.Count <= limit)
        {
            return (items, null);
        }

        items.RemoveAt(limit);
        var last = items[^1];
        return (items, new PageToken(last.Metadata.Name, last.Id));
    }

    public async Task<(long Items, long Bytes)> StatsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*), coalesce(sum(size), 0)::bigint FROM storage_objects");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private static ObjectMetadata Parse(NpgsqlDataReader reader, int ordinal) => ObjectMetadata.Parser.ParseFrom(reader.GetFieldValue<byte[]>(ordinal));
}
