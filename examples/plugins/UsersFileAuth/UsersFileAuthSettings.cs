using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace UsersFileAuth;

/// <summary>
/// The auth plugin's settings, bound from the host's Init config and validated by the SDK
/// (<see cref="UsersFileAuthPlugin.Configure"/>): a token lifetime that is not a whole number of seconds in range, a
/// missing <c>users_file</c> (without <c>connection_string</c>), OIDC keys set only in part, or <c>admin_username</c>
/// without <c>admin_password</c> fails Init with InvalidArgument naming the key and what to set. Values are trimmed,
/// and a blank one counts as unset, except <c>admin_password</c>, which is taken exactly as given.
/// </summary>
public sealed class UsersFileAuthSettings
{
    /// <summary>The config key of <see cref="UsersFile"/>.</summary>
    public const string UsersFileKey = "users_file";

    /// <summary>The config key of <see cref="ConnectionString"/>.</summary>
    public const string ConnectionStringKey = "connection_string";

    /// <summary>The config key of <see cref="AdminPassword"/>.</summary>
    public const string AdminPasswordKey = "admin_password";

    /// <summary>The config key of <see cref="AdminUsername"/>.</summary>
    public const string AdminUsernameKey = "admin_username";

    /// <summary>The config keys that turn OIDC sign-in on, all three together.</summary>
    public static IReadOnlyList<string> OidcKeys { get; } = ["oidc_issuer", "oidc_audience", "oidc_jwks_file"];

    /// <summary>The longest token lifetime, in seconds: ten years, far beyond any sensible one, keeps date arithmetic safe.</summary>
    public const int MaxLifetimeSeconds = 315_360_000;

    /// <summary>
    /// The JSON users file; if it does not exist the plugin starts with no users. Config <c>users_file</c>, required
    /// unless <see cref="ConnectionString"/> is set (then it is not read).
    /// </summary>
    [ConfigurationKeyName(UsersFileKey)]
    public string? UsersFile { get; set; }

    /// <summary>
    /// Where sign-ins are kept, by token hash, so they survive a restart. Config <c>sessions_file</c>, defaults to
    /// none: sessions are in memory only.
    /// </summary>
    [ConfigurationKeyName("sessions_file")]
    public string? SessionsFile { get; set; }

    /// <summary>
    /// A PostgreSQL database (Npgsql connection string) that keeps users and sessions instead of the files, shared by
    /// every host on it. Config <c>connection_string</c>, defaults to none.
    /// </summary>
    [ConfigurationKeyName(ConnectionStringKey)]
    public string? ConnectionString { get; set; }

    /// <summary>The lifetime of an access token, in seconds. Config <c>token_ttl_seconds</c>, defaults to 3600 (one hour).</summary>
    [ConfigurationKeyName("token_ttl_seconds")]
    [Range(1, MaxLifetimeSeconds, ErrorMessage = "The field {0} must be a whole number of seconds between {1} and {2}")]
    public int TokenTtlSeconds { get; set; } = 3600;

    /// <summary>The lifetime of a refresh token, in seconds. Config <c>refresh_ttl_seconds</c>, defaults to 86400 (one day).</summary>
    [ConfigurationKeyName("refresh_ttl_seconds")]
    [Range(1, MaxLifetimeSeconds, ErrorMessage = "The field {0} must be a whole number of seconds between {1} and {2}")]
    public int RefreshTtlSeconds { get; set; } = 86400;

    /// <summary>
    /// The password of an admin to create at Init when no user has <see cref="AdminUsername"/>; taken exactly as given.
    /// Config <c>admin_password</c>, defaults to none.
    /// </summary>
    [ConfigurationKeyName(AdminPasswordKey)]
    public string? AdminPassword { get; set; }

    /// <summary>The name of that admin; only with <see cref="AdminPassword"/>. Config <c>admin_username</c>, defaults to <c>admin</c>.</summary>
    [ConfigurationKeyName(AdminUsernameKey)]
    public string? AdminUsername { get; set; }

    /// <summary>The expected <c>iss</c> of OIDC ID tokens. Config <c>oidc_issuer</c>, defaults to none (OIDC off).</summary>
    [ConfigurationKeyName("oidc_issuer")]
    public string? OidcIssuer { get; set; }

    /// <summary>The expected <c>aud</c> of OIDC ID tokens (the client id). Config <c>oidc_audience</c>, defaults to none.</summary>
    [ConfigurationKeyName("oidc_audience")]
    public string? OidcAudience { get; set; }

    /// <summary>The JWKS file with the provider's signing keys. Config <c>oidc_jwks_file</c>, defaults to none.</summary>
    [ConfigurationKeyName("oidc_jwks_file")]
    public string? OidcJwksFile { get; set; }

    /// <summary>The top-level claim that carries roles. Config <c>oidc_role_claim</c>, defaults to <c>roles</c>.</summary>
    [ConfigurationKeyName("oidc_role_claim")]
    public string? OidcRoleClaim { get; set; }
}
