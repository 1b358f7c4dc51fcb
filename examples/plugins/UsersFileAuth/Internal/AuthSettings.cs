namespace UsersFileAuth.Internal;

/// <summary>The plugin's configuration as one Init applies it, resolved from the validated <see cref="UsersFileAuthSettings"/>.</summary>
internal sealed record AuthSettings
{
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

    /// <summary>Resolves settings that <see cref="UsersFileAuthSettingsValidator"/> accepted: values trimmed, blank ones unset.</summary>
    /// <param name="settings">The bound settings.</param>
    /// <returns>The configuration.</returns>
    public static AuthSettings From(UsersFileAuthSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var adminUsername = Optional(settings.AdminUsername);
        return new AuthSettings
        {
            UsersFile = Optional(settings.UsersFile) ?? string.Empty,
            ConnectionString = Optional(settings.ConnectionString),
            TokenLifetime = TimeSpan.FromSeconds(settings.TokenTtlSeconds),
            RefreshLifetime = TimeSpan.FromSeconds(settings.RefreshTtlSeconds),
            OidcIssuer = Optional(settings.OidcIssuer),
            OidcAudience = Optional(settings.OidcAudience),
            OidcJwksFile = Optional(settings.OidcJwksFile),
            OidcRoleClaim = Optional(settings.OidcRoleClaim) ?? "roles",
            // A password is taken exactly as given: spaces at its ends are part of it.
            AdminPassword = string.IsNullOrEmpty(settings.AdminPassword) ? null : settings.AdminPassword,
            AdminUsername = adminUsername ?? "admin",
            SessionsFile = Optional(settings.SessionsFile),
        };
    }

    /// <summary>A setting's value trimmed, or null when it is unset or blank.</summary>
    /// <param name="value">The value as bound.</param>
    /// <returns>The value, or null.</returns>
    public static string? Optional(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
