using System.Globalization;
using GrpcPlugins;

namespace UsersFileAuth.Internal;

/// <summary>The plugin's configuration, read from the flat key/value map the host sends with Init.</summary>
internal sealed record AuthSettings
{
    /// <summary>Config key of the users file path (required).</summary>
    public const string UsersFileKey = "users_file";

    /// <summary>Config key of the access token lifetime in seconds.</summary>
    public const string TokenTtlKey = "token_ttl_seconds";

    /// <summary>Config key of the refresh token lifetime in seconds.</summary>
    public const string RefreshTtlKey = "refresh_ttl_seconds";

    /// <summary>Config key of the expected OIDC issuer.</summary>
    public const string OidcIssuerKey = "oidc_issuer";

    /// <summary>Config key of the expected OIDC audience (the client id).</summary>
    public const string OidcAudienceKey = "oidc_audience";

    /// <summary>Config key of the JWKS file path.</summary>
    public const string OidcJwksFileKey = "oidc_jwks_file";

    /// <summary>Config key of the claim that carries roles.</summary>
    public const string OidcRoleClaimKey = "oidc_role_claim";

    /// <summary>Config key of the first admin's password.</summary>
    public const string AdminPasswordKey = "admin_password";

    /// <summary>Config key of the first admin's username.</summary>
    public const string AdminUsernameKey = "admin_username";

    /// <summary>Config key of the sessions file path (optional): where sign-ins are kept across restarts.</summary>
    public const string SessionsFileKey = "sessions_file";

    /// <summary>Config key of the PostgreSQL connection string (optional): users and sessions shared by every host on it.</summary>
    public const string ConnectionStringKey = "connection_string";

    /// <summary>The users file path; not read when <see cref="ConnectionString"/> is set.</summary>
    public required string UsersFile { get; init; }

    /// <summary>
    /// The PostgreSQL database that keeps users and sessions (tables <c>ft_users</c>, <c>ft_sessions</c>) instead of the
    /// users and sessions files, so that several hosts share them; null keeps them in files.
    /// </summary>
    public string? ConnectionString { get; init; }

    /// <summary>How long an access token lives. Defaults to one hour.</summary>
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long a refresh token lives. Defaults to one day.</summary>
    public TimeSpan RefreshLifetime { get; init; } = TimeSpan.FromDays(1);

    /// <summary>The expected issuer; OIDC is configured when it is set.</summary>
    public string? OidcIssuer { get; init; }

    /// <summary>The expected audience.</summary>
    public string? OidcAudience { get; init; }

    /// <summary>The JWKS file with the provider's signing keys.</summary>
    public string? OidcJwksFile { get; init; }

    /// <summary>The claim that carries roles. Defaults to "roles".</summary>
    public string OidcRoleClaim { get; init; } = "roles";

    /// <summary>The password of an admin to create at Init when it does not exist.</summary>
    public string? AdminPassword { get; init; }

    /// <summary>The username of that admin. Defaults to "admin".</summary>
    public string AdminUsername { get; init; } = "admin";

    /// <summary>Where sign-ins are kept, by token hash, so they survive a restart; null keeps them in memory only.</summary>
    public string? SessionsFile { get; init; }

    /// <summary>Whether OIDC sign-in is configured.</summary>
    public bool OidcConfigured => OidcIssuer is not null;

    /// <summary>Reads and checks the configuration.</summary>
    /// <exception cref="PluginException">InvalidArgument, naming the key and how to fix it.</exception>
    public static AuthSettings Parse(IReadOnlyDictionary<string, string> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var connectionString = Optional(config, ConnectionStringKey);
        var usersFile = Optional(config, UsersFileKey) ?? (connectionString is null
            ? throw Invalid($"'{UsersFileKey}' is required: set it to the path of the JSON users file (it is created when an admin is bootstrapped or by 'UsersFileAuth add-user'), or set '{ConnectionStringKey}' to keep users in PostgreSQL.")
            : string.Empty);

        var oidcIssuer = Optional(config, OidcIssuerKey);
        var oidcAudience = Optional(config, OidcAudienceKey);
        var oidcJwks = Optional(config, OidcJwksFileKey);
        var oidcKeys = new[] { (OidcIssuerKey, oidcIssuer), (OidcAudienceKey, oidcAudience), (OidcJwksFileKey, oidcJwks) };
        var missing = oidcKeys.Where(k => k.Item2 is null).Select(k => k.Item1).ToArray();
        if (missing.Length is > 0 and < 3)
        {
            throw Invalid($"OIDC is partly configured: also set {string.Join(" and ", missing.Select(m => $"'{m}'"))}, or remove the other oidc_ keys.");
        }

        // A password is taken exactly as given: spaces at its ends are part of it.
        var adminPassword = config.TryGetValue(AdminPasswordKey, out var password) && password.Length > 0 ? password : null;
        var adminUsername = Optional(config, AdminUsernameKey);
        if (adminUsername is not null && adminPassword is null)
        {
            throw Invalid($"'{AdminUsernameKey}' is set without '{AdminPasswordKey}': set the password too, or remove the username.");
        }

        return new AuthSettings
        {
            UsersFile = usersFile,
            ConnectionString = connectionString,
            TokenLifetime = Seconds(config, TokenTtlKey, TimeSpan.FromHours(1)),
            RefreshLifetime = Seconds(config, RefreshTtlKey, TimeSpan.FromDays(1)),
            OidcIssuer = oidcIssuer,
            OidcAudience = oidcAudience,
            OidcJwksFile = oidcJwks,
            OidcRoleClaim = Optional(config, OidcRoleClaimKey) ?? "roles",
            AdminPassword = adminPassword,
            AdminUsername = adminUsername ?? "admin",
            SessionsFile = Optional(config, SessionsFileKey),
        };
    }

    private static string? Optional(IReadOnlyDictionary<string, string> config, string key) =>
        config.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static TimeSpan Seconds(IReadOnlyDictionary<string, string> config, string key, TimeSpan fallback)
    {
        var text = Optional(config, key);
        if (text is null)
        {
            return fallback;
        }

        // Ten years is far beyond any sensible token life and keeps DateTimeOffset arithmetic safe.
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds < 1 || seconds > 315_360_000)
        {
            throw Invalid($"'{key}' is '{text}'; it must be a whole number of seconds between 1 and 315360000.");
        }

        return TimeSpan.FromSeconds(seconds);
    }

    private static PluginException Invalid(string message) => new(PluginErrorCode.InvalidArgument, $"Invalid configuration: {message}");
}
