using System.Text.Json;
using System.Text.Json.Serialization;
using Google.Protobuf.WellKnownTypes;
using GrpcPlugins.Storage.V1;
using Microsoft.Data.Sqlite;

namespace FileSystemStorage.Internal;

/// <summary>The metadata of stored objects, in SQLite (WAL mode, a connection per operation, so concurrent calls are safe).</summary>
internal sealed class MetadataIndex
{
    private readonly string _connectionString;

    public MetadataIndex(string databasePath)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = true, DefaultTimeout = 30 }.ToString();
        using var connection = Open();
        Execute(connection, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS objects (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                size INTEGER NOT NULL,
                mime_type TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                sha256 TEXT NOT NULL,
                custom TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS objects_by_name ON objects (name, id);
            """);
        // Databases made before idempotent stores get the key column; one key names at most one object.
        if (!HasColumn(connection, "idempotency_key"))
        {
            Execute(connection, "ALTER TABLE objects ADD COLUMN idempotency_key TEXT");
        }

        // Databases made before owners get the owner column; a row without one belongs to the admins.
        if (!HasColumn(connection, "owner"))
        {
            Execute(connection, "ALTER TABLE objects ADD COLUMN owner TEXT");
        }

        Execute(connection, "CREATE UNIQUE INDEX IF NOT EXISTS objects_by_idempotency_key ON objects (idempotency_key) WHERE idempotency_key IS NOT NULL");
    }

    /// <summary>Inserts a row; false when another object already holds <paramref name="metadata"/>'s idempotency key.</summary>
    public bool TryInsert(string id, ObjectMetadata metadata)
    {
        try
        {
            Insert(id, metadata);
            return true;
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 19 && metadata.IdempotencyKey.Length > 0 && FindByKey(metadata.IdempotencyKey) is not null)
        {
            return false;
        }
    }

    /// <summary>The object stored under an idempotency key, if any.</summary>
    public Item? FindByKey(string key)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id, {Columns} FROM objects WHERE idempotency_key = $key";
        command.Parameters.AddWithValue("$key", key);
        using var reader = command.ExecuteReader();
        return reader.Read() ? new Item { Id = reader.GetString(0), Metadata = Read(reader, 1) } : null;
    }

    private const string Columns = "name, size, mime_type, created_at, sha256, custom, idempotency_key, owner";

    public void Insert(string id, ObjectMetadata metadata)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO objects (id, name, size, mime_type, created_at, sha256, custom, idempotency_key, owner) VALUES ($id, $name, $size, $mime, $created, $sha, $custom, $key, $owner)";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$name", metadata.Name);
        command.Parameters.AddWithValue("$size", metadata.Size);
        command.Parameters.AddWithValue("$mime", metadata.MimeType);
        command.Parameters.AddWithValue("$created", metadata.CreatedAt.ToDateTimeOffset().ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$sha", metadata.Sha256);
        command.Parameters.AddWithValue("$key", metadata.IdempotencyKey.Length > 0 ? metadata.IdempotencyKey : DBNull.Value);
        command.Parameters.AddWithValue("$custom", JsonSerializer.Serialize(metadata.Custom.ToDictionary(), CustomMetadataJsonContext.Default.DictionaryStringString));
        command.Parameters.AddWithValue("$owner", metadata.Owner.Length > 0 ? metadata.Owner : DBNull.Value);
        command.ExecuteNonQuery();
    }

    public ObjectMetadata? Find(string id)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM objects WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader, 0) : null;
    }

    public bool Delete(string id)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM objects WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        return command.ExecuteNonQuery() > 0;
    }

    /// <summary>One page of items whose name starts with <paramref name="prefix"/>, in (name, id) order after <paramref name="after"/>.</summary>
    public (List<Item> Items, PageToken? Next) List(string prefix, int limit, PageToken? after)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        // substr() compares the prefix exactly; LIKE would treat '%' and '_' in names as wildcards.
        command.CommandText = $"""
            SELECT id, {Columns} FROM objects
            WHERE substr(name, 1, length($prefix)) = $prefix
              AND ($afterName IS NULL OR name > $afterName OR (name = $afterName AND id > $afterId))
            ORDER BY name, id LIMIT $limit
            """;
        command.Parameters.AddWithValue("$prefix", prefix);
        command.Parameters.AddWithValue("$afterName", (object?)after?.Name ?? DBNull.Value);
        command.Parameters.AddWithValue("$afterId", (object?)after?.Id ?? DBNull.Value);
        command.Parameters.AddWithValue("$limit", limit + 1);
        using var reader = command.ExecuteReader();
        var items = new List<Item>();
        while (reader.Read())
        {
            items.Add(new Item { Id = reader.GetString(0), Metadata = Read(reader, 1) });
        }

        if (items.Count <= limit)
        {
            return (items, null);
        }

        items.RemoveAt(limit);
        var last = items[^1];
        return (items, new PageToken(last.Metadata.Name, last.Id));
    }

    public (long Items, long Bytes) Stats()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*), coalesce(sum(size), 0) FROM objects";
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    public HashSet<string> AllIds()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM objects";
        using var reader = command.ExecuteReader();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    private static ObjectMetadata Read(SqliteDataReader reader, int first)
    {
        var metadata = new ObjectMetadata
        {
            Name = reader.GetString(first),
            Size = reader.GetInt64(first + 1),
            MimeType = reader.GetString(first + 2),
            CreatedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(first + 3))),
            Sha256 = reader.GetString(first + 4),
        };
        var custom = JsonSerializer.Deserialize(reader.GetString(first + 5), CustomMetadataJsonContext.Default.DictionaryStringString);
        if (custom is not null)
        {
            metadata.Custom.Add(custom);
        }

        if (!reader.IsDBNull(first + 6))
        {
            metadata.IdempotencyKey = reader.GetString(first + 6);
        }

        if (!reader.IsDBNull(first + 7))
        {
            metadata.Owner = reader.GetString(first + 7);
        }

        return metadata;
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA busy_timeout = 30000;");
        return connection;
    }

    private static bool HasColumn(SqliteConnection connection, string column)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM pragma_table_info('objects') WHERE name = $column";
        command.Parameters.AddWithValue("$column", column);
        return (long)command.ExecuteScalar()! > 0;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

// The custom metadata column as JSON, with generated code: no reflection, so the plugin publishes with NativeAOT.
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class CustomMetadataJsonContext : JsonSerializerContext;
