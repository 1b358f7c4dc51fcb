using Npgsql;

namespace PostgresStorage.Internal;

/// <summary>
/// The plugin's tables, made or brought up to date at Init. Each migration runs once, in order, recorded in
/// <c>storage_migrations</c>; an advisory lock makes nodes that start at the same time take turns, so the first
/// applies them and the others find them applied. Add a migration at the end; never change one that shipped.
/// </summary>
internal static class Schema
{
    // An arbitrary constant naming this plugin's migration lock among other users of the database.
    private const long MigrationLock = 0x5047_5354_4f52_4147; // "PGSTORAG"

    private static readonly string[] Migrations =
    [
        // 1: objects and their content. name is compared byte-wise (COLLATE "C") so paging is the same on every server.
        // metadata holds the whole ObjectMetadata as Protobuf, so fields this version does not know pass through.
        """
        CREATE TABLE storage_objects (
            id text PRIMARY KEY,
            name text COLLATE "C" NOT NULL,
            size bigint NOT NULL,
            chunk_size integer NOT NULL,
            idempotency_key text UNIQUE,
            metadata bytea NOT NULL);
        CREATE INDEX storage_objects_by_name ON storage_objects (name, id);
        CREATE TABLE storage_chunks (
            object_id text NOT NULL REFERENCES storage_objects (id) ON DELETE CASCADE,
            seq integer NOT NULL,
            data bytea NOT NULL,
            PRIMARY KEY (object_id, seq));
        """,
    ];

    /// <summary>Applies the migrations this database lacks.</summary>
    public static async Task MigrateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await Execute(connection, $"SELECT pg_advisory_xact_lock({MigrationLock})", cancellationToken);
        await Execute(connection, "CREATE TABLE IF NOT EXISTS storage_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())", cancellationToken);
        await using var current = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM storage_migrations", connection);
        var applied = (int)(await current.ExecuteScalarAsync(cancellationToken))!;
        for (var version = applied + 1; version <= Migrations.Length; version++)
        {
            await Execute(connection, Migrations[version - 1], cancellationToken);
            await Execute(connection, $"INSERT INTO storage_migrations (version) VALUES ({version})", cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
