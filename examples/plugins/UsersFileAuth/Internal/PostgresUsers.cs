using Npgsql;

namespace UsersFileAuth.Internal;

/// <summary>
/// The users in table <c>ft_users</c>: read at every password sign-in, so a user added or changed through any host
/// (or <c>UsersFileAuth add-user --connection-string</c>) counts on every host at once. Usernames are unique without
/// regard to case (<c>username_key</c>), which also makes the first admin of a cluster exactly one.
/// </summary>
internal sealed class PostgresUsers(NpgsqlDataSource dataSource)
{
    /// <summary>Finds a user by name, without regard to case; null when there is none.</summary>
    public Task<UserRecord?> FindAsync(string username, CancellationToken cancellationToken) => PostgresAccounts.Run(async () =>
    {
        await using var command = dataSource.CreateCommand("SELECT id, username, display_name, roles, password_hash FROM ft_users WHERE username_key = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = Key(username) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    });

    /// <summary>
    /// Creates the user unless one with that name exists. Of several hosts doing this at once exactly one creates it
    /// (the unique <c>username_key</c>), and the others keep theirs untouched.
    /// </summary>
    /// <param name="username">The user's name.</param>
    /// <param name="roles">The roles of the new user.</param>
    /// <param name="password">The password, hashed only when the user is missing.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether this call created the user.</returns>
    public async Task<bool> CreateIfMissingAsync(string username, IReadOnlyList<string> roles, string password, CancellationToken cancellationToken)
    {
        if (await FindAsync(username, cancellationToken).ConfigureAwait(false) is not null)
        {
            return false;
        }

        var hash = PasswordHasher.Hash(password);
        return await PostgresAccounts.Run(async () =>
        {
            await using var command = dataSource.CreateCommand("""
                INSERT INTO ft_users (id, username, username_key, roles, password_hash) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (username_key) DO NOTHING
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = Guid.CreateVersion7().ToString() });
            command.Parameters.Add(new NpgsqlParameter { Value = username });
            command.Parameters.Add(new NpgsqlParameter { Value = Key(username) });
            command.Parameters.Add(new NpgsqlParameter { Value = roles.ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = hash });
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds a user, or updates the one with the same name, with the users file's rules: null or empty arguments keep the
    /// existing values; a new user needs a password hash and roles (the caller checks).
    /// </summary>
    /// <returns>The stored user and whether it was created.</returns>
    public Task<(UserRecord User, bool Created)> UpsertAsync(string username, IReadOnlyCollection<string> roles, string? passwordHash, string? displayName, CancellationToken cancellationToken) =>
        PostgresAccounts.Run(async () =>
        {
            await using var command = dataSource.CreateCommand("""
                INSERT INTO ft_users (id, username, username_key, display_name, roles, password_hash) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (username_key) DO UPDATE SET
                    display_name = COALESCE(excluded.display_name, ft_users.display_name),
                    roles = CASE WHEN cardinality(excluded.roles) = 0 THEN ft_users.roles ELSE excluded.roles END,
                    password_hash = CASE WHEN excluded.password_hash = '' THEN ft_users.password_hash ELSE excluded.password_hash END,
                    updated_at = now()
                RETURNING id, username, display_name, roles, password_hash, (xmax = 0) AS created
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = Guid.CreateVersion7().ToString() });
            command.Parameters.Add(new NpgsqlParameter { Value = username });
            command.Parameters.Add(new NpgsqlParameter { Value = Key(username) });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)displayName ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter { Value = roles.Distinct(StringComparer.OrdinalIgnoreCase).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = passwordHash ?? string.Empty });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return (Read(reader), reader.GetBoolean(5));
        });

    private static string Key(string username) => username.ToLowerInvariant();

    private static UserRecord Read(NpgsqlDataReader reader) => new()
    {
        Id = reader.GetString(0),
        Username = reader.GetString(1),
        DisplayName = reader.IsDBNull(2) ? null : reader.GetString(2),
        Roles = [.. reader.GetFieldValue<string[]>(3)],
        PasswordHash = reader.GetString(4),
    };
}
