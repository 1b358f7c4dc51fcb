using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

namespace GrpcPlugins.Management.Cluster;

/// <summary>One plugin of the catalog, without its package's bytes.</summary>
internal sealed record CatalogEntry(string Name, string Version, string Status, JsonObject? Config, int? Priority);

/// <summary>What one node last reported about one plugin.</summary>
internal sealed record NodeReport(string Node, string Name, string? Version, string Status, int? Pid, int RestartCount, string? LastError);

/// <summary>
/// The cluster's tables in PostgreSQL: <c>cluster_nodes</c> (heartbeats), <c>plugin_catalog</c> (the desired state, with
/// each package's signed bytes), <c>plugin_node_overrides</c> (per-node start/stop), <c>plugin_node_status</c> (what each
/// node reports), <c>plugin_rolls</c> (rolling upgrades, each with the node that coordinates it) and
/// <c>plugin_trusted_keys</c> (the signing keys every node trusts). Every change is announced on the <c>plugin_catalog</c> channel.
/// </summary>
internal sealed class ClusterStore(NpgsqlDataSource data) : IAsyncDisposable
{
    public const string Channel = "plugin_catalog";

    public NpgsqlDataSource Data => data;

    public async Task CreateSchemaAsync(CancellationToken cancellationToken)
    {
        await using var connection = await data.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Nodes starting together would race on CREATE TABLE IF NOT EXISTS; one at a time.
        await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock(7319019)", cancellationToken);
        await ExecuteAsync(connection, """
            CREATE TABLE IF NOT EXISTS cluster_nodes (
                name text PRIMARY KEY, started_at timestamptz NOT NULL, last_seen timestamptz NOT NULL);
            CREATE TABLE IF NOT EXISTS plugin_catalog (
                name text PRIMARY KEY, version text NOT NULL, package bytea NOT NULL, status text NOT NULL,
                config jsonb NULL, priority integer NULL, updated_at timestamptz NOT NULL DEFAULT now());
            CREATE TABLE IF NOT EXISTS plugin_node_overrides (
                node text NOT NULL, name text NOT NULL, status text NOT NULL, PRIMARY KEY (node, name));
            CREATE TABLE IF NOT EXISTS plugin_node_status (
                node text NOT NULL, name text NOT NULL, version text NULL, status text NOT NULL, pid integer NULL,
                restart_count integer NOT NULL, last_error text NULL, updated_at timestamptz NOT NULL, PRIMARY KEY (node, name));
            CREATE TABLE IF NOT EXISTS plugin_rolls (
                id bigserial PRIMARY KEY, name text NOT NULL, from_version text NOT NULL, to_version text NOT NULL,
                package bytea NOT NULL, state text NOT NULL, current_node text NULL, nodes_done text[] NOT NULL DEFAULT '{}',
                failed_node text NULL, reason text NULL, started_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz NULL);
            ALTER TABLE plugin_rolls ADD COLUMN IF NOT EXISTS coordinator text NULL;
            CREATE TABLE IF NOT EXISTS plugin_trusted_keys (
                fingerprint text PRIMARY KEY, public_key text NOT NULL, added_at timestamptz NOT NULL DEFAULT now());
            """, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task HeartbeatAsync(string node, bool joining, CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand(joining
            ? "INSERT INTO cluster_nodes (name, started_at, last_seen) VALUES (@node, now(), now()) ON CONFLICT (name) DO UPDATE SET started_at = now(), last_seen = now()"
            : "INSERT INTO cluster_nodes (name, started_at, last_seen) VALUES (@node, now(), now()) ON CONFLICT (name) DO UPDATE SET last_seen = now()");
        command.Parameters.AddWithValue("node", node);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ClusterNode>> NodesAsync(TimeSpan deadAfter, CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand("SELECT name, last_seen > now() - @dead, last_seen, started_at FROM cluster_nodes ORDER BY name");
        command.Parameters.AddWithValue("dead", deadAfter);
        var nodes = new List<ClusterNode>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            nodes.Add(new ClusterNode(reader.GetString(0), reader.GetBoolean(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return nodes;
    }

    public async Task<IReadOnlyList<CatalogEntry>> CatalogAsync(CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand("SELECT name, version, status, config::text, priority FROM plugin_catalog ORDER BY name");
        var entries = new List<CatalogEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new CatalogEntry(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : JsonNode.Parse(reader.GetString(3)) as JsonObject,
                reader.IsDBNull(4) ? null : reader.GetInt32(4)));
        }

        return entries;
    }

    public async Task<CatalogEntry?> CatalogEntryAsync(string name, CancellationToken cancellationToken) =>
        (await CatalogAsync(cancellationToken)).FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));

    public async Task<byte[]> PackageAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand("SELECT package FROM plugin_catalog WHERE name = @name");
        command.Parameters.AddWithValue("name", name);
        return (byte[]?)await command.ExecuteScalarAsync(cancellationToken)
            ?? throw PluginException.FromHost(PluginErrorCode.NotFound, $"'{name}' left the cluster's catalog while this node read it; list the plugins again.", name);
    }

    public async Task<bool> AddAsync(string name, string version, byte[] package, CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand("INSERT INTO plugin_catalog (name, version, package, status) VALUES (@name, @version, @package, 'stopped') ON CONFLICT (name) DO NOTHING");
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("version", version);
        command.Parameters.AddWithValue("package", package);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public Task<int> SetPackageAsync(string name, string version, byte[] package, CancellationToken cancellationToken) =>
        RunAsync("UPDATE plugin_catalog SET version = @version, package = @package, updated_at = now() WHERE name = @name", cancellationToken, ("name", name), ("version", version), ("package", package));

    public async Task SetStatusAsync(string name, string status, CancellationToken cancellationToken)
    {
        // A status for the whole cluster replaces what single nodes were told.
        await RunAsync("DELETE FROM plugin_node_overrides WHERE name = @name", cancellationToken, ("name", name));
        await RunAsync("UPDATE plugin_catalog SET status = @status, updated_at = now() WHERE name = @name", cancellationToken, ("name", name), ("status", status));
    }

    public Task<int> SetConfigAsync(string name, JsonObject config, CancellationToken cancellationToken) =>
        RunAsync("UPDATE plugin_catalog SET config = @config::jsonb, updated_at = now() WHERE name = @name", cancellationToken, ("name", name), ("config", config.ToJsonString()));

    public Task<int> SetPriorityAsync(string name, int priority, CancellationToken cancellationToken) =>
        RunAsync("UPDATE plugin_catalog SET priority = @priority, updated_at = now() WHERE name = @name", cancellationToken, ("name", name), ("priority", priority));

    public async Task RemoveAsync(string name, CancellationToken cancellationToken)
    {
        await RunAsync("DELETE FROM plugin_node_overrides WHERE name = @name", cancellationToken, ("name", name));
        await RunAsync("DELETE FROM plugin_catalog WHERE name = @name", cancellationToken, ("name", name));
    }

    public async Task SetOverrideAsync(string node, string name, string status, CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand("INSERT INTO plugin_node_overrides (node, name, status) VALUES (@node, @name, @status) ON CONFLICT (node, name) DO UPDATE SET status = @status");
        command.Parameters.AddWithValue("node", node);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("status", status);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<Dictionary<string, string>> OverridesAsync(string node, CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand("SELECT name, status FROM plugin_node_overrides WHERE node = @node");
        command.Parameters.AddWithValue("node", node);
        var overrides = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            overrides[reader.GetString(0)] = reader.GetString(1);
        }

        return overrides;
    }

    /// <summary>Replaces what this node reported: one row per plugin it knows, none for the rest.</summary>
    public async Task ReportAsync(string node, IReadOnlyList<NodeReport> reports, CancellationToken cancellationToken)
    {
        await using var connection = await data.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var delete = new NpgsqlCommand("DELETE FROM plugin_node_status WHERE node = @node AND NOT (name = ANY(@names))", connection, transaction))
        {
            delete.Parameters.AddWithValue("node", node);
            delete.Parameters.AddWithValue("names", reports.Select(r => r.Name).ToArray());
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var report in reports)
        {
            await using var upsert = new NpgsqlCommand(
                """
                INSERT INTO plugin_node_status (node, name, version, status, pid, restart_count, last_error, updated_at)
                VALUES (@node, @name, @version, @status, @pid, @restarts, @error, now())
                ON CONFLICT (node, name) DO UPDATE SET version = @version, status = @status, pid = @pid,
                    restart_count = @restarts, last_error = @error, updated_at = now()
                """,
                connection,
                transaction);
            upsert.Parameters.AddWithValue("node", node);
            upsert.Parameters.AddWithValue("name", report.Name);
            upsert.Parameters.Add(new NpgsqlParameter("version", NpgsqlDbType.Text) { Value = (object?)report.Version ?? DBNull.Value });
            upsert.Parameters.AddWithValue("status", report.Status);
            upsert.Parameters.Add(new NpgsqlParameter("pid", NpgsqlDbType.Integer) { Value = (object?)report.Pid ?? DBNull.Value });
            upsert.Parameters.AddWithValue("restarts", report.RestartCount);
            upsert.Parameters.Add(new NpgsqlParameter("error", NpgsqlDbType.Text) { Value = (object?)report.LastError ?? DBNull.Value });
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<NodeReport>> ReportsAsync(CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand("SELECT node, name, version, status, pid, restart_count, last_error FROM plugin_node_status");
        var reports = new List<NodeReport>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            reports.Add(new NodeReport(
                reader.GetString(0),
                reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetInt32(4),
                reader.GetInt32(5),
                reader.IsDBNull(6) ? null : reader.GetString(6)));
        }

        return reports;
    }

    public async Task<long> StartRollAsync(string name, string from, string to, byte[] package, string coordinator, CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand("INSERT INTO plugin_rolls (name, from_version, to_version, package, state, coordinator) VALUES (@name, @from, @to, @package, 'rolling', @coordinator) RETURNING id");
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        command.Parameters.AddWithValue("package", package);
        command.Parameters.AddWithValue("coordinator", coordinator);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Asks a node for its step of a roll; false when the roll ended or another node coordinates it now.</summary>
    public async Task<bool> SetRollNodeAsync(long id, string node, string coordinator, CancellationToken cancellationToken) =>
        await RunAsync("UPDATE plugin_rolls SET current_node = @node WHERE id = @id AND state = 'rolling' AND coordinator = @coordinator", cancellationToken, ("id", id), ("node", node), ("coordinator", coordinator)) == 1;

    /// <summary>
    /// The rolls still rolling whose coordinator is dead (no heartbeat within <paramref name="deadAfter"/>), or is this
    /// node itself when <paramref name="own"/> (a previous process of this node died while coordinating), with it.
    /// </summary>
    public async Task<IReadOnlyList<(long Id, string? Coordinator)>> OrphanedRollsAsync(string node, bool own, TimeSpan deadAfter, CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand("""
            SELECT r.id, r.coordinator FROM plugin_rolls r
            WHERE r.state = 'rolling' AND (
                (@own AND r.coordinator = @node)
                OR (r.coordinator IS DISTINCT FROM @node
                    AND NOT EXISTS (SELECT 1 FROM cluster_nodes n WHERE n.name = r.coordinator AND n.last_seen > now() - @dead)))
            ORDER BY r.id
            """);
        command.Parameters.AddWithValue("node", node);
        command.Parameters.AddWithValue("own", own);
        command.Parameters.AddWithValue("dead", deadAfter);
        var rolls = new List<(long, string?)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rolls.Add((reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
        }

        return rolls;
    }

    /// <summary>
    /// Makes this node a roll's coordinator in place of <paramref name="previous"/>: a conditional UPDATE, so when several
    /// nodes try at once PostgreSQL's row lock lets exactly one of them see its row changed. Returns whether this node won.
    /// </summary>
    public async Task<bool> TakeOverRollAsync(long id, string? previous, string node, string reason, CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand("UPDATE plugin_rolls SET coordinator = @node, reason = @reason WHERE id = @id AND state = 'rolling' AND coordinator IS NOT DISTINCT FROM @previous");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("node", node);
        command.Parameters.AddWithValue("reason", reason);
        command.Parameters.Add(new NpgsqlParameter("previous", NpgsqlDbType.Text) { Value = (object?)previous ?? DBNull.Value });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<byte[]> RollPackageAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand("SELECT package FROM plugin_rolls WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        return (byte[])(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task NodeDoneAsync(long id, string node, CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand("UPDATE plugin_rolls SET nodes_done = CASE WHEN @node = ANY(nodes_done) THEN nodes_done ELSE array_append(nodes_done, @node) END, current_node = NULL WHERE id = @id AND current_node = @node");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("node", node);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task FailRollAsync(long id, string node, string reason, CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand("UPDATE plugin_rolls SET state = 'failed', failed_node = @node, reason = @reason, current_node = NULL, finished_at = now() WHERE id = @id AND state = 'rolling'");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("node", node);
        command.Parameters.AddWithValue("reason", reason);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task FinishRollAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand("UPDATE plugin_rolls SET state = 'done', current_node = NULL, finished_at = now() WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<PluginRoll?> RollAsync(long id, CancellationToken cancellationToken) => RollWhereAsync("id = @key", id, cancellationToken);

    public Task<PluginRoll?> LatestRollAsync(string name, CancellationToken cancellationToken) => RollWhereAsync("name = @key", name, cancellationToken);

    /// <summary>The roll step this node is asked to take, with the package to install, or null.</summary>
    public async Task<(PluginRoll Roll, byte[] Package)?> StepForAsync(string node, CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand("SELECT id, package FROM plugin_rolls WHERE state = 'rolling' AND current_node = @node ORDER BY id LIMIT 1");
        command.Parameters.AddWithValue("node", node);
        long id;
        byte[] package;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            (id, package) = (reader.GetInt64(0), reader.GetFieldValue<byte[]>(1));
        }

        return await RollAsync(id, cancellationToken) is { } roll ? (roll, package) : null;
    }

    public async Task<IReadOnlyList<TrustedKey>> KeysAsync(CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand("SELECT fingerprint, public_key, added_at FROM plugin_trusted_keys ORDER BY added_at, fingerprint");
        var keys = new List<TrustedKey>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new TrustedKey(reader.GetString(0), "cluster", reader.GetString(1), string.Empty, reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return keys;
    }

    /// <summary>Adds a key to the cluster's; false when it was there already.</summary>
    public async Task<bool> AddKeyAsync(TrustedKey key, CancellationToken cancellationToken) =>
        await RunAsync("INSERT INTO plugin_trusted_keys (fingerprint, public_key) VALUES (@fingerprint, @key) ON CONFLICT (fingerprint) DO NOTHING", cancellationToken, ("fingerprint", key.Fingerprint), ("key", key.PublicKey)) == 1;

    /// <summary>Removes a key from the cluster's; false when it was not there.</summary>
    public async Task<bool> RemoveKeyAsync(string fingerprint, CancellationToken cancellationToken) =>
        await RunAsync("DELETE FROM plugin_trusted_keys WHERE lower(fingerprint) = lower(@fingerprint)", cancellationToken, ("fingerprint", fingerprint)) > 0;

    public async Task NotifyAsync(string node, CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand("SELECT pg_notify(@channel, @node)");
        command.Parameters.AddWithValue("channel", Channel);
        command.Parameters.AddWithValue("node", node);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => data.DisposeAsync();

    private async Task<PluginRoll?> RollWhereAsync<T>(string where, T key, CancellationToken cancellationToken)
        where T : notnull
    {
        await using var command = data.CreateCommand($"SELECT id, name, from_version, to_version, state, nodes_done, current_node, failed_node, reason, started_at, finished_at, coordinator FROM plugin_rolls WHERE {where} ORDER BY id DESC LIMIT 1");
        command.Parameters.AddWithValue("key", key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new PluginRoll(
            reader.GetInt64(0),
            reader.GetString(1),
            reader.GetString(2),
            reader.GetString(3),
            reader.GetString(4),
            reader.GetFieldValue<string[]>(5),
            reader.IsDBNull(6) ? null : reader.GetString(6),
            reader.IsDBNull(7) ? null : reader.GetString(7),
            reader.IsDBNull(8) ? null : reader.GetString(8),
            reader.GetFieldValue<DateTimeOffset>(9),
            reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10))
        {
            Coordinator = reader.IsDBNull(11) ? null : reader.GetString(11),
        };
    }

    private async Task<int> RunAsync(string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = data.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
