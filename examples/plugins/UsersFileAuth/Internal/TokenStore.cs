using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace UsersFileAuth.Internal;

/// <summary>A user as a token holds it: a snapshot taken when the token was issued.</summary>
internal sealed record AuthenticatedUser(string Id, string Username, string DisplayName, IReadOnlyList<string> Roles);

/// <summary>
/// An access token, its linked refresh token, and whom they belong to. A token pair loaded from the sessions file
/// has no <see cref="RefreshToken"/>: only its hash is kept at rest.
/// </summary>
internal sealed record IssuedTokens(
    string AccessToken,
    DateTimeOffset AccessExpiresAt,
    string RefreshToken,
    DateTimeOffset RefreshExpiresAt,
    AuthenticatedUser User);

/// <summary>
/// Issues and checks opaque bearer tokens. Tokens are looked up by their SHA-256, so that the sessions file, when
/// one is set with <see cref="UseSessionsFile"/>, holds no token that could be used: with it, sessions survive a
/// restart or an upgrade of the plugin; without it, a restart signs everyone out.
/// Every access token has one linked refresh token; revoking either revokes both.
/// </summary>
internal sealed class TokenStore(TimeProvider time)
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Session> _byAccess = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Session> _byRefresh = new(StringComparer.Ordinal);
    private readonly Lock _saveGate = new();
    private long _lastSweepTicks = time.GetUtcNow().UtcTicks;
    private volatile SessionsFile? _file;

    /// <summary>How many token pairs are held, expired ones not yet swept included.</summary>
    public int Count => _byAccess.Count;

    /// <summary>
    /// Keeps the sessions in <paramref name="file"/> from now on: loads the live ones it holds beside those in memory,
    /// and rewrites it after every change. Null stops keeping them on disk.
    /// </summary>
    /// <returns>How many sessions were loaded from the file.</returns>
    public int UseSessionsFile(SessionsFile? file)
    {
        var loaded = 0;
        var now = time.GetUtcNow();
        foreach (var session in file?.Load() ?? [])
        {
            if (now < session.RefreshExpiresAt || now < session.AccessExpiresAt)
            {
                _byAccess.TryAdd(session.AccessHash, session);
                _byRefresh.TryAdd(session.RefreshHash, session);
                loaded++;
            }
        }

        _file = file;
        Save();
        return loaded;
    }

    /// <summary>Issues a new access token and refresh token for a user.</summary>
    public IssuedTokens Issue(AuthenticatedUser user, TimeSpan accessLifetime, TimeSpan refreshLifetime)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(accessLifetime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(refreshLifetime, TimeSpan.Zero);
        SweepIfDue();
        var now = time.GetUtcNow();
        var issued = new IssuedTokens(NewToken(), now + accessLifetime, NewToken(), now + refreshLifetime, user);
        var session = new Session(Hash(issued.AccessToken), issued.AccessExpiresAt, Hash(issued.RefreshToken), issued.RefreshExpiresAt, user)
        {
            RefreshToken = issued.RefreshToken,
        };
        _byRefresh[session.RefreshHash] = session;
        _byAccess[session.AccessHash] = session;
        Save();
        return issued;
    }

    /// <summary>Finds a live access token. Unknown, expired and revoked tokens give null.</summary>
    public IssuedTokens? Validate(string accessToken)
    {
        if (string.IsNullOrEmpty(accessToken) || !_byAccess.TryGetValue(Hash(accessToken), out var session))
        {
            return null;
        }

        return time.GetUtcNow() < session.AccessExpiresAt
            ? new IssuedTokens(accessToken, session.AccessExpiresAt, session.RefreshToken ?? string.Empty, session.RefreshExpiresAt, session.User)
            : null;
    }

    /// <summary>
    /// Exchanges a live refresh token for new tokens. The old refresh token and its access token stop
    /// working. Unknown, expired, revoked and already used refresh tokens give null.
    /// </summary>
    public IssuedTokens? Refresh(string refreshToken, TimeSpan accessLifetime, TimeSpan refreshLifetime)
    {
        // TryRemove is the single winner when two callers race with the same refresh token.
        if (string.IsNullOrEmpty(refreshToken) || !_byRefresh.TryRemove(Hash(refreshToken), out var old))
        {
            return null;
        }

        _byAccess.TryRemove(old.AccessHash, out _);
        if (time.GetUtcNow() >= old.RefreshExpiresAt)
        {
            Save();
            return null;
        }

        return Issue(old.User, accessLifetime, refreshLifetime);
    }

    /// <summary>Revokes an access token or a refresh token, and the one linked to it. Unknown tokens are ignored.</summary>
    /// <returns>True when a token was revoked.</returns>
    public bool Revoke(string token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return false;
        }

        var hash = Hash(token);
        if (_byAccess.TryRemove(hash, out var session) || _byRefresh.TryRemove(hash, out session))
        {
            _byAccess.TryRemove(session.AccessHash, out _);
            _byRefresh.TryRemove(session.RefreshHash, out _);
            Save();
            return true;
        }

        return false;
    }

    /// <summary>
    /// Forgets token pairs whose access and refresh tokens have both expired, so that tokens nobody uses
    /// again do not pile up. A pair is kept while either half lives, so that revoking the expired access
    /// token still revokes its refresh token.
    /// </summary>
    public void Sweep()
    {
        if (RemoveExpired())
        {
            Save();
        }
    }

    // Called by Issue, which saves the sessions right after, so the sweep itself does not.
    private void SweepIfDue()
    {
        var now = time.GetUtcNow().UtcTicks;
        var last = Interlocked.Read(ref _lastSweepTicks);
        if (now - last >= SweepInterval.Ticks && Interlocked.CompareExchange(ref _lastSweepTicks, now, last) == last)
        {
            RemoveExpired();
        }
    }

    private bool RemoveExpired()
    {
        var now = time.GetUtcNow();
        var removed = false;
        foreach (var (hash, session) in _byAccess)
        {
            if (now >= session.AccessExpiresAt && now >= session.RefreshExpiresAt)
            {
                removed |= _byAccess.TryRemove(new KeyValuePair<string, Session>(hash, session));
                _byRefresh.TryRemove(new KeyValuePair<string, Session>(session.RefreshHash, session));
            }
        }

        return removed;
    }

    private void Save()
    {
        if (_file is not { } file)
        {
            return;
        }

        // One writer at a time, each writing the whole current set, so the last write on disk is never older than memory.
        lock (_saveGate)
        {
            file.Save([.. _byAccess.Values]);
        }
    }

    /// <summary>A new opaque token: 32 random bytes, base64url.</summary>
    internal static string NewToken() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>The SHA-256 of a token, base64url: how a token is looked up and kept at rest.</summary>
    internal static string Hash(string token) => Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}

/// <summary>
/// One token pair as stored: the SHA-256 of each token, never the token. <see cref="RefreshToken"/> is known only in
/// the process that issued it, so that a token check there can still answer with it, as it always has.
/// </summary>
internal sealed record Session(string AccessHash, DateTimeOffset AccessExpiresAt, string RefreshHash, DateTimeOffset RefreshExpiresAt, AuthenticatedUser User)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public string? RefreshToken { get; init; }
}
