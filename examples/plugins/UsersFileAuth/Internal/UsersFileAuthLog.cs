using Microsoft.Extensions.Logging;

namespace UsersFileAuth.Internal;

internal static partial class UsersFileAuthLog
{
    [LoggerMessage(1, LogLevel.Warning, "The users file {Path} does not exist; starting with no users. Create users with 'UsersFileAuth add-user' or set admin_password")]
    public static partial void UsersFileMissing(ILogger logger, string path);

    [LoggerMessage(2, LogLevel.Information, "Loaded {Count} users from {Path}; OIDC sign-in {OidcState}")]
    public static partial void UsersLoaded(ILogger logger, int count, string path, string oidcState);

    [LoggerMessage(3, LogLevel.Information, "Created admin user {Username} in {Path}")]
    public static partial void AdminCreated(ILogger logger, string username, string path);

    [LoggerMessage(4, LogLevel.Information, "The users file {Path} changed; reloaded {Count} users")]
    public static partial void UsersReloaded(ILogger logger, string path, int count);

    [LoggerMessage(5, LogLevel.Warning, "The users file {Path} changed but could not be reloaded; keeping the users loaded before: {Problem}")]
    public static partial void UsersReloadFailed(ILogger logger, string path, string problem);

    [LoggerMessage(6, LogLevel.Information, "Password sign-in refused for username {Username}")]
    public static partial void PasswordRejected(ILogger logger, string username);

    [LoggerMessage(7, LogLevel.Information, "OIDC sign-in refused: {Reason}")]
    public static partial void OidcRejected(ILogger logger, string reason);

    [LoggerMessage(8, LogLevel.Debug, "Signed in user {Username} ({UserId}) by {Method}")]
    public static partial void SignedIn(ILogger logger, string username, string userId, string method);

    [LoggerMessage(9, LogLevel.Warning, "The sessions file {Path} could not be read ({Problem}); everyone signs in again. The file was kept as {KeptAs}")]
    public static partial void SessionsUnreadable(ILogger logger, string path, string problem, string keptAs);

    [LoggerMessage(10, LogLevel.Warning, "The sessions file {Path} could not be written ({Problem}); sign-ins are kept in memory only and end with a restart")]
    public static partial void SessionsNotSaved(ILogger logger, string path, string problem);

    [LoggerMessage(11, LogLevel.Information, "Loaded {Count} sessions from {Path}")]
    public static partial void SessionsLoaded(ILogger logger, int count, string path);

    [LoggerMessage(12, LogLevel.Information, "Users and sessions are kept in PostgreSQL on {Where} (tables ft_users, ft_sessions), shared by every host on it")]
    public static partial void SharedUsers(ILogger logger, string where);
}
