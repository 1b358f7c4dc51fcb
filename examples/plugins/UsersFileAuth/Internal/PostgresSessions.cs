using Npgsql;

namespace UsersFileAuth.Internal;

/// <summary>
/// Token pairs in table <c>ft_sessions</c>, by the SHA-256 of each token as in the sessions file, so a token issued
/// through one host is accepted, refreshed and revoked through any other. A refresh deletes the old pair in the
/// same statement that reads it, so of two hosts refreshing one token at once only one succeeds.
/// </summary>
internal sealed class PostgresSessions(NpgsqlDataSource dataSource, TimeProvider time)
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);
    private long _lastSweepTicks;

    /// <summary>Issues a new access token and refresh token for a user.</summary>
    public async Task<IssuedTokens> IssueAsync(AuthenticatedUser user, TimeSpan accessLifetime, TimeSpan refreshLifetime, CancellationToken cancellationToken)
    {
        await SweepIfDueAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var issued = new IssuedTokens(TokenStore.NewToken(), now + accessLifetime, TokenStore.NewToken(), now + refreshLifetime, user);
        return await PostgresAccounts.Run(async () =>
        {
            await using var command = dataSource.CreateCommand("""
                INSERT INTO ft_sessions (access_hash, refresh_hash, access_expires_ms, refresh_expires_ms, user_id, username, display_name, roles)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = TokenStore.Hash(issued.AccessToken) });
            command.Parameters.Add(new NpgsqlParameter { Value = TokenStore.Hash(issued.RefreshToken) });
            command.Parameters.Add(new NpgsqlParameter { Value = issued.AccessExpiresAt.ToUnixTimeMilliseconds() });
            command.Parameters.Add(new NpgsqlParameter { Value = issued.RefreshExpiresAt.ToUnixTimeMilliseconds() });
            command.Parameters.Add(new NpgsqlParameter { Value = user.Id });
            command.Parameters.Add(new NpgsqlParameter { Value = user.Username });
            command.Parameters.Add(new NpgsqlParameter { Value = user.DisplayName });
            command.Parameters.Add(new NpgsqlParameter { Value = user.Roles.ToArray() });
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return issued;
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Finds a live access token. Unknown, expired and revoked tokens give null. The answer carries no refresh token:
    /// only its hash is stored.
    /// </summary>
    public Task<IssuedTokens?> ValidateAsync(string accessToken, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(accessToken))
        {
            return Task.FromResult<IssuedTokens?>(null);
        }

        return PostgresAccounts.Run(async () =>
        {
            await using var command = dataSource.CreateCommand("""
                SELECT access_expires_ms, refresh_expires_ms, user_id, username, display_name, roles
                FROM ft_sessions WHERE access_hash = $1 AND access_expires_ms > $2
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = TokenStore.Hash(accessToken) });
            command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow().ToUnixTimeMilliseconds() });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            return (IssuedTokens?)new IssuedTokens(
                accessToken,
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)),
                string.Empty,
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
                ReadUser(reader, 2));
        });
    }

    /// <summary>
    /// Exchanges a live refresh token for new tokens; the old pair is deleted. Unknown, expired, revoked and already
    /// used refresh tokens give null.
    /// </summary>
    public async Task<IssuedTokens?> RefreshAsync(string refreshToken, TimeSpan accessLifetime, TimeSpan refreshLifetime, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(refreshToken))
        {
            return null;
        }

        var old = await PostgresAccounts.Run(async () =>
        {
            await using var command = dataSource.CreateCommand("""
                DELETE FROM ft_sessions WHERE refresh_hash = $1
                RETURNING refresh_expires_ms, user_id, username, display_name, roles
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = TokenStore.Hash(refreshToken) });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? (DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)), ReadUser(reader, 1))
                : ((DateTimeOffset, AuthenticatedUser)?)null;
        }).ConfigureAwait(false);
        if (old is not { } found || time.GetUtcNow() >= found.Item1)
        {
            return null;
        }

        return await IssueAsync(found.Item2, accessLifetime, refreshLifetime, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Revokes an access token or a refresh token, and the one linked to it. Unknown tokens are ignored.</summary>
    public Task RevokeAsync(string token, CancellationToken cancellationToken) => PostgresAccounts.Run(async () =>
    {
        var hash = TokenStore.Hash(token);
        await using var command = dataSource.CreateCommand("DELETE FROM ft_sessions WHERE access_hash = $1 OR refresh_hash = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = hash });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    });

    // Pairs whose two tokens have expired are deleted now and then, as the file store sweeps them.
    private async Task SweepIfDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcTicks;
        var last = Interlocked.Read(ref _lastSweepTicks);
        if (now - last < SweepInterval.Ticks || Interlocked.CompareExchange(ref _lastSweepTicks, now, last) != last)
        {
            return;
        }

        await PostgresAccounts.Run(async () =>
        {
            await using var command = dataSource.CreateCommand("DELETE FROM ft_sessions WHERE access_expires_ms <= $1 AND refresh_expires_ms <= $1");
            command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow().ToUnixTimeMilliseconds() });
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    private static AuthenticatedUser ReadUser(NpgsqlDataReader reader, int first) => new(
        reader.GetString(first),
        reader.GetString(first + 1),
        reader.GetString(first + 2),
        reader.GetFieldValue<string[]>(first + 3));
}
