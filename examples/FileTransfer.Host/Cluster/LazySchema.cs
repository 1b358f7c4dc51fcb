using Npgsql;

namespace FileTransfer.Host.Cluster;

/// <summary>
/// Tables of the shared database, made on first use rather than at start, so a database that is down at start delays
/// what needs it, not the host. Every node runs the same statements under one advisory lock, so nodes that start
/// together do not race each other's <c>CREATE TABLE IF NOT EXISTS</c>.
/// </summary>
/// <param name="dataSource">The shared database.</param>
/// <param name="statements">The idempotent statements that make the tables.</param>
internal sealed class LazySchema(NpgsqlDataSource dataSource, string statements)
{
    // The advisory lock of the file-transfer host's own tables (GrpcPlugins.Management's cluster mode uses another).
    private const long SchemaLock = 7019;

    private readonly SemaphoreSlim _making = new(1, 1);
    private volatile bool _ready;

    /// <summary>Makes the tables once per process; later calls return at once.</summary>
    /// <param name="cancellationToken">Stops waiting for the database.</param>
    /// <returns>A task that completes when the tables exist.</returns>
    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (_ready)
        {
            return;
        }

        await _making.WaitAsync(cancellationToken);
        try
        {
            if (!_ready)
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await using (var command = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({SchemaLock});\n{statements}", connection, transaction))
                {
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
                _ready = true;
            }
        }
        finally
        {
            _making.Release();
        }
    }
}
