using System.Security.Claims;
using GrpcPlugins;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace UsersFileAuth.Internal;

/// <summary>
/// Checks OIDC ID tokens offline: the signature against the keys of a JWKS file, and the issuer,
/// audience and lifetime against the configuration. Nothing is fetched from the provider.
/// </summary>
internal sealed class OidcValidator
{
    private readonly JsonWebTokenHandler _handler = new();
    private const string Expired = "the ID token has expired; sign in with the provider again";
    private const string NotYetValid = "the ID token is not valid yet; check the clocks";
    private const string NoExpiry = "the ID token has no expiry ('exp' claim)";
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);

    private readonly TokenValidationParameters _parameters;
    private readonly string _roleClaim;
    private readonly TimeProvider _time;

    private OidcValidator(TokenValidationParameters parameters, string roleClaim, TimeProvider time)
    {
        _parameters = parameters;
        _roleClaim = roleClaim;
        _time = time;
    }

    /// <summary>
    /// Creates a validator from the configured issuer, audience and JWKS file.
    /// </summary>
    /// <exception cref="PluginException">InvalidArgument when the JWKS file is missing, unreadable or holds no signing keys.</exception>
    public static OidcValidator Create(string issuer, string audience, string jwksFile, string roleClaim, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrEmpty(issuer);
        ArgumentException.ThrowIfNullOrEmpty(audience);
        ArgumentException.ThrowIfNullOrEmpty(jwksFile);
        ArgumentException.ThrowIfNullOrEmpty(roleClaim);
        ArgumentNullException.ThrowIfNull(time);

        IList<SecurityKey> keys;
        try
        {
            keys = new JsonWebKeySet(File.ReadAllText(jwksFile)).GetSigningKeys();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PluginException(PluginErrorCode.InvalidArgument,
                $"oidc_jwks_file '{jwksFile}' could not be read ({ex.Message}). Save the provider's JWKS (its jwks_uri document) there.");
        }
        catch (Exception ex) when (ex is ArgumentException or System.Text.Json.JsonException)
        {
            throw new PluginException(PluginErrorCode.InvalidArgument,
                $"oidc_jwks_file '{jwksFile}' is not a JWKS document ({ex.GetType().Name}). It should be the JSON {{ \"keys\": [ ... ] }} served at the provider's jwks_uri.");
        }

        if (keys.Count == 0)
        {
            throw new PluginException(PluginErrorCode.InvalidArgument,
                $"oidc_jwks_file '{jwksFile}' holds no usable signing keys. It should be the JSON {{ \"keys\": [ ... ] }} served at the provider's jwks_uri.");
        }

        var parameters = new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudience = audience,
            IssuerSigningKeys = keys,
            ValidateIssuer = true,
            ValidateAudience = true,
            // Lifetime is checked in ValidateAsync against the injected clock: this IdentityModel version
            // reads the system clock and offers no public TimeProvider.
            ValidateLifetime = false,
            RequireSignedTokens = true,
            RoleClaimType = roleClaim,
        };
        return new OidcValidator(parameters, roleClaim, time);
    }

    /// <summary>Validates an ID token and returns the user it names, with roles from the role claim.</summary>
    /// <exception cref="PluginException">Unauthenticated, with the reason, when the token is not valid.</exception>
    public async Task<AuthenticatedUser> ValidateAsync(string idToken)
    {
        if (string.IsNullOrWhiteSpace(idToken))
        {
            throw Unauthenticated("no ID token was sent (oidc.id_token is empty)");
        }

        var result = await _handler.ValidateTokenAsync(idToken, _parameters).ConfigureAwait(false);
        if (!result.IsValid)
        {
            throw Unauthenticated(Reason(result.Exception));
        }

        CheckLifetime((JsonWebToken)result.SecurityToken);
        var identity = result.ClaimsIdentity;
        var subject = identity.FindFirst("sub")?.Value;
        if (string.IsNullOrEmpty(subject))
        {
            throw Unauthenticated("the ID token has no 'sub' claim");
        }

        var username = First(identity, "preferred_username", "email") ?? subject;
        var displayName = First(identity, "name") ?? username;
        var roles = identity.FindAll(_roleClaim).Select(c => c.Value).Where(v => v.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        return new AuthenticatedUser(subject, username, displayName, roles);
    }

    private void CheckLifetime(JsonWebToken token)
    {
        // ValidTo and ValidFrom are DateTime.MinValue when the claims are absent.
        if (token.ValidTo == DateTime.MinValue)
        {
            throw Unauthenticated(NoExpiry);
        }

        var now = _time.GetUtcNow().UtcDateTime;
        if (now - ClockSkew >= token.ValidTo)
        {
            throw Unauthenticated(Expired);
        }

        if (now + ClockSkew < token.ValidFrom)
        {
            throw Unauthenticated(NotYetValid);
        }
    }

    private static string? First(ClaimsIdentity identity, params string[] types) =>
        types.Select(t => identity.FindFirst(t)?.Value).FirstOrDefault(v => !string.IsNullOrEmpty(v));

    // IdentityModel hides details in its own messages (PII); these say what a person can act on.
    private static string Reason(Exception? exception) => exception switch
    {
        SecurityTokenInvalidIssuerException => "the ID token's issuer is not the configured oidc_issuer",
        SecurityTokenInvalidAudienceException => "the ID token's audience is not the configured oidc_audience",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException =>
            "the ID token's signature does not match any key in oidc_jwks_file; if the provider rotated its keys, update the file",
        SecurityTokenMalformedException or ArgumentException => "the ID token is not a well-formed signed JWT",
        null => "the ID token is not valid",
        _ => $"the ID token is not valid ({exception.GetType().Name})",
    };

    private static PluginException Unauthenticated(string reason) =>
        new(PluginErrorCode.Unauthenticated, $"OIDC sign-in refused: {reason}.");
}
