using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace UsersFileAuth.Internal;

/// <summary>A user as a token holds it: a snapshot taken when the token was issued.</summary>
internal sealed record AuthenticatedUser(string Id, string Username, string DisplayName, IReadOnlyList<string> Roles);

/// <summary>An access token, its linked refresh token, and whom they belong to.</summary>
internal sealed record IssuedTokens(
    string AccessToken,
    DateTimeOffset AccessExpiresAt,
    string RefreshToken,
    DateTimeOffset RefreshExpiresAt,
    AuthenticatedUser User);

/// <summary>
/// Issues and checks opaque bearer tokens, kept only in memory: a restart signs everyone out.
/// Every access token has one linked refresh token; revoking either revokes both.
/// </summary>
internal sealed class TokenStore(TimeProvider time)
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, IssuedTokens> _byAccess = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IssuedTokens> _byRefresh = new(StringComparer.Ordinal);
    private long _lastSweepTicks = time.GetUtcNow().UtcTicks;

    /// <summary>How many token pairs are held, expired ones not yet swept included.</summary>
    public int Count => _byAccess.Count;

    /// <summary>Issues a new access token and refresh token for a user.</summary>
    public IssuedTokens Issue(AuthenticatedUser user, TimeSpan accessLifetime, TimeSpan refreshLifetime)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(accessLifetime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(refreshLifetime, TimeSpan.Zero);
        SweepIfDue();
        var now = time.GetUtcNow();
        var issued = new IssuedTokens(NewToken(), now + accessLifetime, NewToken(), now + refreshLifetime, user);
        _byRefresh[issued.RefreshToken] = issued;
        _byAccess[issued.AccessToken] = issued;
        return issued;
    }

    /// <summary>Finds a live access token. Unknown, expired and revoked tokens give null.</summary>
    public IssuedTokens? Validate(string accessToken)
    {
        if (string.IsNullOrEmpty(accessToken) || !_byAccess.TryGetValue(accessToken, out var issued))
        {
            return null;
        }

        return time.GetUtcNow() < issued.AccessExpiresAt ? issued : null;
    }

    /// <summary>
    /// Exchanges a live refresh token for new tokens. The old refresh token and its access token stop
    /// working. Unknown, expired, revoked and already used refresh tokens give null.
    /// </summary>
    public IssuedTokens? Refresh(string refreshToken, TimeSpan accessLifetime, TimeSpan refreshLifetime)
    {
        // TryRemove is the single winner when two callers race with the same refresh token.
        if (string.IsNullOrEmpty(refreshToken) || !_byRefresh.TryRemove(refreshToken, out var old))
        {
            return null;
        }

        _byAccess.TryRemove(old.AccessToken, out _);
        if (time.GetUtcNow() >= old.RefreshExpiresAt)
        {
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

        if (_byAccess.TryRemove(token, out var issued) || _byRefresh.TryRemove(token, out issued))
        {
            _byAccess.TryRemove(issued.AccessToken, out _);
            _byRefresh.TryRemove(issued.RefreshToken, out _);
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
        var now = time.GetUtcNow();
        foreach (var (token, issued) in _byAccess)
        {
            if (now >= issued.AccessExpiresAt && now >= issued.RefreshExpiresAt)
            {
                _byAccess.TryRemove(new KeyValuePair<string, IssuedTokens>(token, issued));
                _byRefresh.TryRemove(new KeyValuePair<string, IssuedTokens>(issued.RefreshToken, issued));
            }
        }
    }

    private void SweepIfDue()
    {
        var now = time.GetUtcNow().UtcTicks;
        var last = Interlocked.Read(ref _lastSweepTicks);
        if (now - last >= SweepInterval.Ticks && Interlocked.CompareExchange(ref _lastSweepTicks, now, last) == last)
        {
            Sweep();
        }
    }

    private static string NewToken() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}
