using Microsoft.Data.Sqlite;

namespace GrpcPlugins.Hosting.Callbacks.Internal;

/// <summary>
/// Plugins' durable key-value state: one SQLite database under the data folder, rows keyed by plugin name and key, so a
/// plugin's state outlives its process, its restarts and its upgrades (a new version keeps the plugin's name).
/// </summary>
internal sealed class KeyValueStore : IDisposable
{
    private readonly HostCallbacksOptions _options;
    private readonly SemaphoreSlim _writes = new(1, 1);
    private readonly Lazy<string> _connectionString;

    public KeyValueStore(HostCallbacksOptions options)
    {
        _options = options;
        _connectionString = new Lazy<string>(Open, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public async Task<byte[]?> GetAsync(string plugin, string key, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM kv WHERE plugin = $p AND key = $k";
        command.Parameters.AddWithValue("$p", plugin);
        command.Parameters.AddWithValue("$k", key);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as byte[];
    }

    /// <returns>False when the plugin already holds the most keys it may.</returns>
    public async Task<bool> PutAsync(string plugin, string key, byte[] value, CancellationToken cancellationToken)
    {
        await _writes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            await using var count = connection.CreateCommand();
            count.CommandText = "SELECT COUNT(*) FROM kv WHERE plugin = $p AND key <> $k";
            count.Parameters.AddWithValue("$p", plugin);
            count.Parameters.AddWithValue("$k", key);
            if ((long)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! >= _options.MaxKeysPerPlugin)
            {
                return false;
            }

            await using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO kv (plugin, key, value) VALUES ($p, $k, $v) ON CONFLICT (plugin, key) DO UPDATE SET value = excluded.value";
            command.Parameters.AddWithValue("$p", plugin);
            command.Parameters.AddWithValue("$k", key);
            command.Parameters.AddWithValue("$v", value);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _writes.Release();
        }
    }

    public async Task<bool> DeleteAsync(string plugin, string key, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM kv WHERE plugin = $p AND key = $k";
        command.Parameters.AddWithValue("$p", plugin);
        command.Parameters.AddWithValue("$k", key);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    public async Task<IReadOnlyList<(string Key, byte[] Value)>> ListAsync(string plugin, string prefix, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();

        // substr, not LIKE: a prefix may hold % or _, and LIKE ignores case.
        command.CommandText = "SELECT key, value FROM kv WHERE plugin = $p AND substr(key, 1, length($prefix)) = $prefix ORDER BY key";
        command.Parameters.AddWithValue("$p", plugin);
        command.Parameters.AddWithValue("$prefix", prefix);
        var entries = new List<(string, byte[])>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add((reader.GetString(0), (byte[])reader.GetValue(1)));
        }

        return entries;
    }

    public void Dispose() => _writes.Dispose();

    private async Task<SqliteConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString.Value);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private string Open()
    {
        Directory.CreateDirectory(_options.DataDirectory);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(_options.DataDirectory, "plugin-state.db"),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
        }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();

        // WAL with synchronous=FULL: a PutValue that returned is on disk, and readers do not wait for writers.
        command.CommandText = """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            CREATE TABLE IF NOT EXISTS kv (plugin TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (plugin, key));
            """;
        command.ExecuteNonQuery();
        return connectionString;
    }
}
