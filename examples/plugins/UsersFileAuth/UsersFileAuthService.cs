using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GrpcPlugins;
using GrpcPlugins.Auth.V1;
using GrpcPlugins.Sdk;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using UsersFileAuth.Internal;
using AuthAction = GrpcPlugins.Auth.V1.Action;

namespace UsersFileAuth;

/// <summary>
/// An AuthService backed by a JSON users file: password sign-in against PBKDF2 hashes, opaque
/// tokens with rotating refresh tokens (kept by hash in sessions_file when it is set, so they survive a restart), optional OIDC sign-in, and role-based authorization
/// (reader, writer, admin). The users file is read at Init and again whenever it changes on disk. With
/// connection_string, users and sessions live in PostgreSQL instead, shared by every host on that database.
/// </summary>
/// <param name="settings">The Init config, bound and validated by the SDK before <see cref="InitAsync"/> runs.</param>
/// <param name="logger">Receives sign-in failures and users file events; never passwords or tokens.</param>
/// <param name="time">The clock for token expiry.</param>
public sealed class UsersFileAuthService(IOptionsMonitor<UsersFileAuthSettings> settings, ILogger<UsersFileAuthService> logger, TimeProvider time)
    : AuthService.AuthServiceBase, IPluginLifecycle
{
    private readonly TokenStore _tokens = new(time);
    private readonly Lock _reloadGate = new();
    private volatile State? _state;

    /// <summary>
    /// Reads the configuration and the users file, creates the configured admin if it does not exist,
    /// and loads the OIDC keys. Tokens already issued survive a new Init, and with sessions_file a restart.
    /// </summary>
    /// <param name="config">The Init map, already bound to <see cref="UsersFileAuthSettings"/> and validated.</param>
    /// <param name="cancellationToken">Not observed: Init does only local file work.</param>
    /// <returns>A task that completes when the plugin is ready.</returns>
    public async Task InitAsync(IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        var current = AuthSettings.From(settings.CurrentValue);
        var oidc = current.OidcConfigured
            ? OidcValidator.Create(current.OidcIssuer!, current.OidcAudience!, current.OidcJwksFile!, current.OidcRoleClaim, time)
            : null;
        if (current.ConnectionString is { } connectionString)
        {
            await InitSharedAsync(current, connectionString, oidc, cancellationToken).ConfigureAwait(false);
            return;
        }

        var stamp = FileStamp.Of(current.UsersFile);
        var users = LoadUsers(current.UsersFile);
        if (users is null)
        {
            // On a first run with admin_password the file is about to be created with that admin: nothing to warn about.
            if (current.AdminPassword is null)
            {
                UsersFileAuthLog.UsersFileMissing(logger, current.UsersFile);
            }

            users = new UsersFile([]);
        }

        if (current.AdminPassword is not null && users.Find(current.AdminUsername) is null)
        {
            users.Upsert(current.AdminUsername, [RolePolicy.Admin], PasswordHasher.Hash(current.AdminPassword), displayName: null);
            try
            {
                users.Save(current.UsersFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new PluginException(PluginErrorCode.FailedPrecondition,
                    $"Could not write the users file '{current.UsersFile}' to create admin '{current.AdminUsername}' ({ex.Message}). Make its folder writable by the plugin.");
            }

            stamp = FileStamp.Of(current.UsersFile);
            UsersFileAuthLog.AdminCreated(logger, current.AdminUsername, current.UsersFile);
        }

        if (current.SessionsFile is { } sessionsFile)
        {
            UsersFileAuthLog.SessionsLoaded(logger, _tokens.UseSessionsFile(new SessionsFile(sessionsFile, logger, time)), sessionsFile);
        }
        else
        {
            _tokens.UseSessionsFile(null);
        }

        var previous = _state?.Shared;
        _state = new State(current, users, stamp, oidc, null);
        UsersFileAuthLog.UsersLoaded(logger, users.Users.Count, current.UsersFile, oidc is null ? "not configured" : $"for issuer {current.OidcIssuer}");
        if (previous is not null)
        {
            await previous.DisposeAsync().ConfigureAwait(false);
        }
    }

    // Users and sessions in PostgreSQL (connection_string): shared by every host on that database.
    private async Task InitSharedAsync(AuthSettings current, string connectionString, OidcValidator? oidc, CancellationToken cancellationToken)
    {
        var accounts = await PostgresAccounts.OpenAsync(connectionString, time, cancellationToken).ConfigureAwait(false);
        try
        {
            if (current.AdminPassword is not null
                && await accounts.Users.CreateIfMissingAsync(current.AdminUsername, [RolePolicy.Admin], current.AdminPassword, cancellationToken).ConfigureAwait(false))
            {
                UsersFileAuthLog.AdminCreated(logger, current.AdminUsername, "PostgreSQL table ft_users");
            }
        }
        catch
        {
            await accounts.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var previous = _state?.Shared;
        _tokens.UseSessionsFile(null);
        _state = new State(current, new UsersFile([]), default, oidc, accounts);
        UsersFileAuthLog.SharedUsers(logger, accounts.Where);
        if (previous is not null)
        {
            await previous.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Signs a user in. AUTH_TYPE_PASSWORD checks the users file and issues tokens; AUTH_TYPE_TOKEN
    /// returns what a live token stands for; AUTH_TYPE_OIDC checks an ID token and issues tokens.
    /// </summary>
    /// <param name="request">The credentials.</param>
    /// <param name="context">The call; not otherwise used.</param>
    /// <returns>The tokens and the user.</returns>
    public override async Task<AuthenticateResponse> Authenticate(AuthenticateRequest request, ServerCallContext context)
    {
        var state = CurrentState;
        IssuedTokens issued;
        switch (request.Type)
        {
            case AuthType.Password:
                issued = await SignInWithPasswordAsync(state, request.Username, request.Password, context.CancellationToken).ConfigureAwait(false);
                break;
            case AuthType.Token:
                issued = await ValidateAsync(state, request.Token, context.CancellationToken).ConfigureAwait(false)
                    ?? throw new PluginException(PluginErrorCode.Unauthenticated, "The token is unknown, expired or revoked; sign in again.");
                break;
            case AuthType.Oidc:
                issued = await SignInWithOidcAsync(state, request.Oidc?.IdToken ?? string.Empty, context.CancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new PluginException(PluginErrorCode.InvalidArgument,
                    $"Authentication type {request.Type} is not supported: use AUTH_TYPE_PASSWORD, AUTH_TYPE_TOKEN or AUTH_TYPE_OIDC.");
        }

        return new AuthenticateResponse { Result = ToResult(issued) };
    }

    /// <summary>Decides whether a token's holder may perform an action, from the holder's roles.</summary>
    /// <param name="request">The token, resource and action.</param>
    /// <param name="context">The call; not otherwise used.</param>
    /// <returns>The decision, the user and, when refused, why.</returns>
    public override async Task<AuthorizeResponse> Authorize(AuthorizeRequest request, ServerCallContext context)
    {
        var state = CurrentState;
        if (request.Action is AuthAction.Unspecified || !System.Enum.IsDefined(request.Action))
        {
            throw new PluginException(PluginErrorCode.InvalidArgument,
                $"Action {request.Action} cannot be authorized: set action to ACTION_READ, ACTION_WRITE, ACTION_DELETE or ACTION_ADMIN.");
        }

        var issued = await ValidateAsync(state, request.Token, context.CancellationToken).ConfigureAwait(false)
            ?? throw new PluginException(PluginErrorCode.Unauthenticated, "The token is unknown, expired or revoked; sign in again.");
        var (allowed, reason) = RolePolicy.Decide(issued.User, request.Resource, request.Action);
        return new AuthorizeResponse { Allowed = allowed, User = ToUser(issued.User), Reason = reason };
    }

    /// <summary>Exchanges a refresh token for new tokens; the old refresh and access tokens stop working.</summary>
    /// <param name="request">The refresh token.</param>
    /// <param name="context">The call; not otherwise used.</param>
    /// <returns>The new tokens.</returns>
    public override async Task<RefreshResponse> Refresh(RefreshRequest request, ServerCallContext context)
    {
        var state = CurrentState;
        var settings = state.Settings;
        var issued = (state.Shared is { } shared
                ? await shared.Sessions.RefreshAsync(request.RefreshToken, settings.TokenLifetime, settings.RefreshLifetime, context.CancellationToken).ConfigureAwait(false)
                : _tokens.Refresh(request.RefreshToken, settings.TokenLifetime, settings.RefreshLifetime))
            ?? throw new PluginException(PluginErrorCode.Unauthenticated, "The refresh token is unknown, expired, revoked or already used; sign in again.");
        return new RefreshResponse { Result = ToResult(issued) };
    }

    /// <summary>Revokes an access or refresh token together with its partner. An unknown token is not an error.</summary>
    /// <param name="request">The token to revoke.</param>
    /// <param name="context">The call; not otherwise used.</param>
    /// <returns>An empty answer.</returns>
    public override async Task<RevokeResponse> Revoke(RevokeRequest request, ServerCallContext context)
    {
        var state = CurrentState;
        if (string.IsNullOrEmpty(request.Token))
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, "No token to revoke: set token to an access token or a refresh token.");
        }

        if (state.Shared is { } shared)
        {
            await shared.Sessions.RevokeAsync(request.Token, context.CancellationToken).ConfigureAwait(false);
        }
        else
        {
            _tokens.Revoke(request.Token);
        }

        return new RevokeResponse();
    }

    private State CurrentState => _state
        ?? throw new PluginException(PluginErrorCode.FailedPrecondition, "The plugin is not initialized: the host must call Init first.");

    private async Task<IssuedTokens?> ValidateAsync(State state, string token, CancellationToken cancellationToken) =>
        state.Shared is { } shared ? await shared.Sessions.ValidateAsync(token, cancellationToken).ConfigureAwait(false) : _tokens.Validate(token);

    private async Task<IssuedTokens> IssueAsync(State state, AuthenticatedUser user, CancellationToken cancellationToken) =>
        state.Shared is { } shared
            ? await shared.Sessions.IssueAsync(user, state.Settings.TokenLifetime, state.Settings.RefreshLifetime, cancellationToken).ConfigureAwait(false)
            : _tokens.Issue(user, state.Settings.TokenLifetime, state.Settings.RefreshLifetime);

    private async Task<IssuedTokens> SignInWithPasswordAsync(State state, string username, string password, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(username) || string.IsNullOrEmpty(password))
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, "AUTH_TYPE_PASSWORD needs both username and password.");
        }

        UserRecord? user;
        if (state.Shared is { } shared)
        {
            user = await shared.Users.FindAsync(username, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            state = ReloadIfChanged(state);
            user = state.Users.Find(username);
        }

        // An unknown user costs a full hash too, so that response time does not tell which names exist.
        var valid = user is null ? PasswordHasher.VerifyAgainstDummy(password) : PasswordHasher.Verify(password, user.PasswordHash);
        if (!valid || user is null)
        {
            UsersFileAuthLog.PasswordRejected(logger, username);
            throw new PluginException(PluginErrorCode.Unauthenticated, "Wrong username or password.");
        }

        var authenticated = new AuthenticatedUser(user.Id, user.Username, user.DisplayName ?? user.Username, [.. user.Roles]);
        UsersFileAuthLog.SignedIn(logger, authenticated.Username, authenticated.Id, "password");
        return await IssueAsync(state, authenticated, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IssuedTokens> SignInWithOidcAsync(State state, string idToken, CancellationToken cancellationToken)
    {
        if (state.Oidc is null)
        {
            throw new PluginException(PluginErrorCode.NotSupported,
                "OIDC sign-in is not configured in this plugin: set oidc_issuer, oidc_audience and oidc_jwks_file.");
        }

        AuthenticatedUser user;
        try
        {
            user = await state.Oidc.ValidateAsync(idToken).ConfigureAwait(false);
        }
        catch (PluginException ex)
        {
            UsersFileAuthLog.OidcRejected(logger, ex.Message);
            throw;
        }

        UsersFileAuthLog.SignedIn(logger, user.Username, user.Id, "oidc");
        return await IssueAsync(state, user, cancellationToken).ConfigureAwait(false);
    }

    // Lets 'UsersFileAuth add-user' take effect on a running plugin without a new Init.
    private State ReloadIfChanged(State state)
    {
        var path = state.Settings.UsersFile;
        var stamp = FileStamp.Of(path);
        if (stamp == state.Stamp)
        {
            return state;
        }

        lock (_reloadGate)
        {
            var current = CurrentState;
            if (current.Stamp == stamp || current.Settings.UsersFile != path)
            {
                return current;
            }

            State next;
            try
            {
                var users = UsersFile.Load(path) ?? new UsersFile([]);
                next = current with { Users = users, Stamp = stamp };
                UsersFileAuthLog.UsersReloaded(logger, path, users.Users.Count);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                // Remember the stamp anyway, so that a broken file is reported once, not on every sign-in.
                next = current with { Stamp = stamp };
                UsersFileAuthLog.UsersReloadFailed(logger, path, ex.Message);
            }

            _state = next;
            return next;
        }
    }

    private static UsersFile? LoadUsers(string path)
    {
        try
        {
            return UsersFile.Load(path);
        }
        catch (InvalidDataException ex)
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PluginException(PluginErrorCode.FailedPrecondition,
                $"Could not read the users file '{path}' ({ex.Message}). Check that the plugin may read it.");
        }
    }

    private static AuthResult ToResult(IssuedTokens issued) => new()
    {
        Token = issued.AccessToken,
        ExpiresAt = Timestamp.FromDateTimeOffset(issued.AccessExpiresAt),
        RefreshToken = issued.RefreshToken,
        User = ToUser(issued.User),
    };

    private static User ToUser(AuthenticatedUser user) => new()
    {
        Id = user.Id,
        Username = user.Username,
        DisplayName = user.DisplayName,
        Roles = { user.Roles },
    };

    // Shared is set when users and sessions live in PostgreSQL; Users and Stamp are then unused.
    private sealed record State(AuthSettings Settings, UsersFile Users, FileStamp Stamp, OidcValidator? Oidc, PostgresAccounts? Shared);

    private readonly record struct FileStamp(DateTime LastWriteUtc, long Length)
    {
        public static FileStamp Of(string path)
        {
            var info = new FileInfo(path);
            return info.Exists ? new FileStamp(info.LastWriteTimeUtc, info.Length) : default;
        }
    }
}
