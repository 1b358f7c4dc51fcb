using GrpcPlugins;
using Npgsql;
using PostgresStorage.Internal;

namespace UsersFileAuth.Internal;

/// <summary>
/// Users and sessions in a PostgreSQL database (<c>connection_string</c>) instead of the users and sessions files, so
/// that every host on that database signs in the same users and accepts the same tokens. Tables <c>ft_users</c> and
/// <c>ft_sessions</c> are made at Init if missing, under an advisory lock so hosts starting together do not collide.
/// The password hashes, token hashes and rules are the file store's: only where they are kept differs.
/// </summary>
internal sealed class PostgresAccounts : IAsyncDisposable
{
    // The file-transfer host's schema lock (its ft_transfers table takes the same one).
    private const long SchemaLock = 7019;

    private PostgresAccounts(NpgsqlDataSource dataSource, string where, TimeProvider time)
    {
        DataSource = dataSource;
        Where = where;
        Users = new PostgresUsers(dataSource);
        Sessions = new PostgresSessions(dataSource, time);
    }

    /// <summary>The connection pool.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>The server and database, for the log (no password).</summary>
    public string Where { get; }

    /// <summary>The users (<c>ft_users</c>).</summary>
    public PostgresUsers Users { get; }

    /// <summary>The sessions (<c>ft_sessions</c>).</summary>
    public PostgresSessions Sessions { get; }

    /// <summary>Connects, and makes the tables when they do not exist yet.</summary>
    /// <exception cref="PluginException">InvalidArgument for a malformed connection string, Unavailable when PostgreSQL cannot be reached.</exception>
    public static async Task<PostgresAccounts> OpenAsync(string connectionString, TimeProvider time, CancellationToken cancellationToken)
    {
        NpgsqlDataSource dataSource;
        string where;
        try
        {
            var builder = new NpgsqlSlimDataSourceBuilder(connectionString);
            builder.EnableArrays();
            where = $"{builder.ConnectionStringBuilder.Host}, database {builder.ConnectionStringBuilder.Database}";
            dataSource = builder.Build();
        }
        catch (ArgumentException ex)
        {
            throw new PluginException(PluginErrorCode.InvalidArgument,
                $"Invalid configuration: '{UsersFileAuthSettings.ConnectionStringKey}' is not a valid PostgreSQL connection string ({ex.Message}). Use the form 'Host=...;Database=...;Username=...'.");
        }

        var accounts = new PostgresAccounts(dataSource, where, time);
        try
        {
            await Run(async () =>
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (var command = new NpgsqlCommand($"""
                    SELECT pg_advisory_xact_lock({SchemaLock});
                    CREATE TABLE IF NOT EXISTS ft_users (
                        id text PRIMARY KEY,
                        username text NOT NULL,
                        username_key text NOT NULL UNIQUE,
                        display_name text,
                        roles text[] NOT NULL,
                        password_hash text NOT NULL,
                        updated_at timestamptz NOT NULL DEFAULT now());
                    CREATE TABLE IF NOT EXISTS ft_sessions (
                        access_hash text PRIMARY KEY,
                        refresh_hash text NOT NULL UNIQUE,
                        access_expires_ms bigint NOT NULL,
                        refresh_expires_ms bigint NOT NULL,
                        user_id text NOT NULL,
                        username text NOT NULL,
                        display_name text NOT NULL,
                        roles text[] NOT NULL);
                    """, connection, transaction))
                {
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return accounts;
    }

    /// <summary>
    /// Runs a database call, turning a database that cannot be reached into <see cref="PluginErrorCode.Unavailable"/>,
    /// which a host answers as 503, rather than an internal error.
    /// </summary>
    public static async Task<T> Run<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (DatabaseErrors.IsUnavailable(ex) || ex is TimeoutException)
        {
            throw DatabaseErrors.Unavailable(ex);
        }
    }

    /// <summary>Closes the connection pool.</summary>
    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
