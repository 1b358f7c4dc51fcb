using System.Text.Json;
using FileTransfer.Host.Transfers;
using Npgsql;

namespace FileTransfer.Host.Cluster;

/// <summary>
/// Transfer records in the shared PostgreSQL database (table <c>ft_transfers</c>), so that every node lists every
/// transfer, follows its progress and can cancel it: the node that runs a transfer (its protocol plugin holds it)
/// writes each state it sees and announces it with <c>NOTIFY ft_transfers</c> (the transfer's id); another node asks
/// for a cancel by setting <c>cancel_requested</c> and <c>NOTIFY ft_transfer_cancels</c> (the running node's name),
/// which that node's <see cref="SharedTransferListener"/> hears and carries out. A resume is asked the same way
/// (<c>resume_request</c>, <c>NOTIFY ft_transfer_resumes</c>); when the running node does not take it in time (it is
/// down), the asking node claims the transfer with a conditional UPDATE of its <c>node</c> and sends it itself.
/// Notifications only wake nodes up: the rows are the truth, and a slow periodic read heals a notification missed while
/// a connection was down.
/// </summary>
public sealed class SharedTransfers : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private const string Tables = """
        CREATE TABLE IF NOT EXISTS ft_transfers (
            id text PRIMARY KEY,
            node text NOT NULL,
            latest jsonb NOT NULL,
            cancel_requested boolean NOT NULL DEFAULT false,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now());
        ALTER TABLE ft_transfers ADD COLUMN IF NOT EXISTS protocol text NULL;
        ALTER TABLE ft_transfers ADD COLUMN IF NOT EXISTS resume_request jsonb NULL;
        ALTER TABLE ft_transfers ADD COLUMN IF NOT EXISTS resume_failure jsonb NULL;
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly LazySchema _schema;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource> _changes = new(StringComparer.Ordinal);

    /// <summary>Creates the store on a connection string; the table is made on first use.</summary>
    /// <param name="connectionString">The shared database.</param>
    /// <param name="node">This node's name, unique among running nodes.</param>
    public SharedTransfers(string connectionString, string node)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _schema = new LazySchema(_dataSource, Tables);
        Node = node;
    }

    /// <summary>This node's name, stored with the transfers it runs.</summary>
    public string Node { get; }

    /// <summary>The channel on which each saved state is announced, with the transfer's id as payload.</summary>
    public const string ChangedChannel = "ft_transfers";

    /// <summary>The channel on which cancels are asked, with the name of the node that runs the transfer as payload.</summary>
    public const string CancelChannel = "ft_transfer_cancels";

    /// <summary>The channel on which resumes are asked, with the name of the node that ran the transfer as payload.</summary>
    public const string ResumeChannel = "ft_transfer_resumes";

    /// <summary>The connection pool, for the listener's dedicated connection.</summary>
    internal NpgsqlDataSource DataSource => _dataSource;

    /// <summary>
    /// A task that completes at the next change of a transfer announced by any node (through
    /// <see cref="Notified"/>). Take it before reading the transfer, so a change between the read and the wait is not missed.
    /// </summary>
    /// <param name="id">The transfer's id.</param>
    /// <returns>The task.</returns>
    public Task NextChange(string id) =>
        _changes.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Wakes whoever waits for a change of this transfer (<see cref="NextChange"/>).</summary>
    /// <param name="id">The transfer's id, the payload of a notification on <see cref="ChangedChannel"/>.</param>
    public void Notified(string id)
    {
        if (_changes.TryRemove(id, out var waiters))
        {
            waiters.TrySetResult();
        }
    }

    /// <summary>Wakes every waiter, as if each transfer had changed: after a notification may have been missed.</summary>
    public void NotifiedAll()
    {
        foreach (var id in _changes.Keys)
        {
            Notified(id);
        }
    }

    /// <summary>Makes the table when it does not exist yet.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the table exists.</returns>
    public Task EnsureTableAsync(CancellationToken cancellationToken) => ReadyAsync(cancellationToken);

    /// <summary>Records a transfer this node runs, as just seen.</summary>
    /// <param name="transfer">The transfer.</param>
    /// <param name="protocol">The protocol plugin that runs it, so that another node can take it over.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the record is written.</returns>
    public async Task SaveAsync(TransferDto transfer, string protocol, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        await ReadyAsync(cancellationToken);
        await using var command = _dataSource.CreateCommand($"""
            WITH saved AS (
                INSERT INTO ft_transfers (id, node, latest, protocol) VALUES ($1, $2, $3::jsonb, $4)
                ON CONFLICT (id) DO UPDATE SET node = excluded.node, latest = excluded.latest, protocol = excluded.protocol, updated_at = now()
                RETURNING id)
            SELECT pg_notify('{ChangedChannel}', id) FROM saved
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = transfer.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = Node });
        command.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(transfer, Json) });
        command.Parameters.Add(new NpgsqlParameter { Value = protocol });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The transfers of every node, newest first, each as its node last saw it.</summary>
    /// <param name="limit">The most to return.</param>
    /// <param name="owner">Only the transfers this user started (<see cref="TransferDto.Owner"/>); null for everyone's.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The transfers.</returns>
    public async Task<IReadOnlyList<TransferDto>> ListAsync(int limit, string? owner, CancellationToken cancellationToken)
    {
        await ReadyAsync(cancellationToken);
        // The owner is in the saved state (latest->>'owner'); a row saved before owners has none and is the admins'.
        await using var command = _dataSource.CreateCommand(
            "SELECT latest::text FROM ft_transfers WHERE $2::text IS NULL OR latest->>'owner' = $2 ORDER BY created_at DESC, id LIMIT $1");
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)owner ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var transfers = new List<TransferDto>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            transfers.Add(JsonSerializer.Deserialize<TransferDto>(reader.GetString(0), Json)!);
        }

        return transfers;
    }

    /// <summary>A transfer as its node last saw it, or null when no node runs one with this id.</summary>
    /// <param name="id">The transfer's id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The transfer, or null.</returns>
    public async Task<TransferDto?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await ReadyAsync(cancellationToken);
        await using var command = _dataSource.CreateCommand("SELECT latest::text FROM ft_transfers WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteScalarAsync(cancellationToken) is string json ? JsonSerializer.Deserialize<TransferDto>(json, Json) : null;
    }

    /// <summary>Asks the node that runs a transfer to cancel it.</summary>
    /// <param name="id">The transfer's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the request is stored.</returns>
    public async Task RequestCancelAsync(string id, CancellationToken cancellationToken)
    {
        await ReadyAsync(cancellationToken);
        await using var command = _dataSource.CreateCommand($"""
            WITH asked AS (UPDATE ft_transfers SET cancel_requested = true WHERE id = $1 RETURNING node)
            SELECT pg_notify('{CancelChannel}', node) FROM asked
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Takes the cancels other nodes asked of this node: each id is returned once.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The ids of the transfers to cancel.</returns>
    public async Task<IReadOnlyList<string>> TakeCancelRequestsAsync(CancellationToken cancellationToken)
    {
        await ReadyAsync(cancellationToken);
        await using var command = _dataSource.CreateCommand("UPDATE ft_transfers SET cancel_requested = false WHERE node = $1 AND cancel_requested RETURNING id");
        command.Parameters.Add(new NpgsqlParameter { Value = Node });
        return await ColumnAsync(command, cancellationToken);
    }

    // The first column of every row (never null here).
    private static async Task<IReadOnlyList<string>> ColumnAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>Asks the node that ran a transfer to resume it; returns that node's name, or null when no node ran it.</summary>
    /// <param name="id">The transfer's id.</param>
    /// <param name="request">The caller's tokens.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The node that ran it.</returns>
    internal async Task<string?> RequestResumeAsync(string id, TransferResumeRequest request, CancellationToken cancellationToken)
    {
        await ReadyAsync(cancellationToken);
        await using var command = _dataSource.CreateCommand($"""
            WITH asked AS (UPDATE ft_transfers SET resume_request = $2::jsonb, resume_failure = NULL WHERE id = $1 RETURNING node)
            SELECT node, pg_notify('{ResumeChannel}', node) FROM asked
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(request, Json) });
        return await FirstAsync(command, cancellationToken);
    }

    // The first column of the first row (null when none).
    private static async Task<string?> FirstAsync(NpgsqlCommand command, CancellationToken cancellationToken) =>
        (await ColumnAsync(command, cancellationToken)).FirstOrDefault();

    /// <summary>Withdraws a resume no node took.</summary>
    /// <param name="id">The transfer's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when it is withdrawn.</returns>
    internal async Task WithdrawResumeAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("UPDATE ft_transfers SET resume_request = NULL WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The transfers with a resume asked of this node.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Their ids.</returns>
    internal async Task<IReadOnlyList<string>> ResumesAskedAsync(CancellationToken cancellationToken)
    {
        await ReadyAsync(cancellationToken);
        await using var command = _dataSource.CreateCommand("SELECT id FROM ft_transfers WHERE node = $1 AND resume_request IS NOT NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = Node });
        return await ColumnAsync(command, cancellationToken);
    }

    /// <summary>Takes a resume asked of this node (once: a node that claimed the transfer meanwhile has it instead).</summary>
    /// <param name="id">The transfer's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The request, or null when it is no longer this node's to take.</returns>
    internal async Task<TransferResumeRequest?> TakeResumeAsync(string id, CancellationToken cancellationToken)
    {
        // RETURNING shows the row as updated, so the request is read (and locked) before it is cleared.
        await using var command = _dataSource.CreateCommand("""
            UPDATE ft_transfers t SET resume_request = NULL
            FROM (SELECT id, resume_request FROM ft_transfers WHERE id = $1 AND node = $2 AND resume_request IS NOT NULL FOR UPDATE) taken
            WHERE t.id = taken.id
            RETURNING taken.resume_request::text
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = Node });
        return await FirstAsync(command, cancellationToken) is { } json ? JsonSerializer.Deserialize<TransferResumeRequest>(json, Json) : null;
    }

    /// <summary>Records why this node could not resume a transfer another node asked it to, and tells that node.</summary>
    /// <param name="id">The transfer's id.</param>
    /// <param name="failure">The problem to answer.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when it is recorded.</returns>
    internal async Task FailResumeAsync(string id, TransferResumeFailure failure, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand($"""
            WITH failed AS (UPDATE ft_transfers SET resume_failure = $2::jsonb WHERE id = $1 RETURNING id)
            SELECT pg_notify('{ChangedChannel}', id) FROM failed
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(failure, Json) });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Where a resume asked of another node stands.</summary>
    /// <param name="id">The transfer's id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The state, or null when the transfer is gone.</returns>
    internal async Task<TransferResumeState?> ResumeStateAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT latest::text, node, resume_request IS NOT NULL, resume_failure::text FROM ft_transfers WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new TransferResumeState(
            JsonSerializer.Deserialize<TransferDto>(reader.GetString(0), Json)!,
            reader.GetString(1),
            reader.GetBoolean(2),
            reader.IsDBNull(3) ? null : JsonSerializer.Deserialize<TransferResumeFailure>(reader.GetString(3), Json));
    }

    /// <summary>
    /// Makes this node the one that runs a transfer whose node did not take the resume asked of it: a conditional UPDATE,
    /// so of the node that ran it (taking the request) and nodes claiming it, exactly one wins.
    /// </summary>
    /// <param name="id">The transfer's id.</param>
    /// <param name="previous">The node that ran it.</param>
    /// <param name="cancellationToken">Cancels the claim.</param>
    /// <returns>Whether this node won, and the protocol plugin the transfer ran with (null if not recorded).</returns>
    internal async Task<(bool Claimed, string? Protocol)> ClaimAsync(string id, string previous, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("UPDATE ft_transfers SET node = $3, resume_request = NULL, resume_failure = NULL WHERE id = $1 AND node = $2 AND resume_request IS NOT NULL RETURNING protocol");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = previous });
        command.Parameters.Add(new NpgsqlParameter { Value = Node });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (true, reader.IsDBNull(0) ? null : reader.GetString(0)) : (false, null);
    }

    /// <summary>Closes the connection pool.</summary>
    /// <returns>A task that completes when the pool is closed.</returns>
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private Task ReadyAsync(CancellationToken cancellationToken) => _schema.EnsureAsync(cancellationToken);
}
