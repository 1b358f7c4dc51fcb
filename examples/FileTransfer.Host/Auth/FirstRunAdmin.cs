using System.Security.Cryptography;
using GrpcPlugins;
using GrpcPlugins.Auth.V1;
using GrpcPlugins.Hosting;

namespace FileTransfer.Host.Auth;

/// <summary>
/// On first run (no users file yet), has the auth plugin create the admin user: with FT_ADMIN_PASSWORD when set, else
/// with a random password that is printed once.
/// </summary>
/// <remarks>
/// On nodes that share their users in PostgreSQL (<paramref name="shared"/>), no node can tell alone whether it is the
/// first: every node gives the auth plugin an admin password, the plugin creates the admin only if the cluster has
/// none (exactly once, by the table's unique user name), and a generated password is printed only by the node whose
/// password was kept (<see cref="ConfirmAsync"/>), so that two nodes starting together never print two passwords.
/// </remarks>
/// <param name="options">The host's settings.</param>
/// <param name="announce">Prints the generated password.</param>
/// <param name="shared">Whether users are shared by the nodes of a cluster (in PostgreSQL) rather than kept in a file.</param>
public sealed class FirstRunAdmin(FileTransferOptions options, Action<string> announce, bool shared = false)
{
    /// <summary>The environment variable that sets the first admin's password.</summary>
    public const string PasswordVariable = "FT_ADMIN_PASSWORD";

    // Options are built more than once (IOptions, IOptionsMonitor, validation), and every build must agree on one password.
    private readonly Lazy<(string Password, bool Generated)> _password = new(() => Choose(options, announce, shared));

    /// <summary>Adds the admin's name and password to the auth plugin's Init config when its users file does not exist yet.</summary>
    /// <param name="plugins">The host's plugin settings.</param>
    public void Apply(GrpcPluginsOptions plugins)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        if (!plugins.Plugins.TryGetValue(options.AuthPlugin, out var auth)
            || (!shared && (!auth.Config.TryGetValue("users_file", out var usersFile) || File.Exists(usersFile))))
        {
            return;
        }

        auth.Config["admin_username"] = options.AdminUsername;
        auth.Config["admin_password"] = _password.Value.Password;
    }

    /// <summary>Whether this host generated the admin password it offered (FT_ADMIN_PASSWORD was not set).</summary>
    public bool GeneratedPassword => _password.IsValueCreated && _password.Value.Generated;

    /// <summary>
    /// On a node of a cluster, prints the generated password if it is the one the cluster's admin was created with:
    /// checked by signing in with it through the auth plugin (the session is revoked at once). Does nothing on a single
    /// node (the password was printed when chosen) or when FT_ADMIN_PASSWORD chose it.
    /// </summary>
    /// <param name="auth">The auth plugin, started.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>Whether the password was printed.</returns>
    public async Task<bool> ConfirmAsync(IAuthPlugin auth, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(auth);
        if (!shared || !_password.IsValueCreated || !_password.Value.Generated)
        {
            return false;
        }

        var (password, _) = _password.Value;
        AuthResult session;
        try
        {
            session = await auth.AuthenticateAsync(
                new AuthenticateRequest { Type = AuthType.Password, Username = options.AdminUsername, Password = password }, cancellationToken);
        }
        catch (PluginException ex) when (ex.Code == PluginErrorCode.Unauthenticated)
        {
            // Another node created the admin (now or on an earlier run), and printed its password there.
            return false;
        }

        await auth.RevokeAsync(session.Token, cancellationToken);
        announce(Banner(options.AdminUsername, password));
        return true;
    }

    private static (string Password, bool Generated) Choose(FileTransferOptions options, Action<string> announce, bool shared)
    {
        var password = Environment.GetEnvironmentVariable(PasswordVariable);
        if (!string.IsNullOrEmpty(password))
        {
            return (password, false);
        }

        password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', 'x').Replace('/', 'y');
        if (!shared)
        {
            announce(Banner(options.AdminUsername, password));
        }

        return (password, true);
    }

    /// <summary>
    /// The first-run announcement, boxed so it stands out among the start-up log lines, with the password alone on its
    /// line so it can be copied.
    /// </summary>
    /// <param name="username">The admin's name.</param>
    /// <param name="password">The generated password.</param>
    /// <returns>The lines of the box, joined by new lines.</returns>
    public static string Banner(string username, string password)
    {
        string[] lines =
        [
            $"First run: created user '{username}' with password",
            string.Empty,
            "    " + password,
            string.Empty,
            "It is shown only this once: sign in with it now.",
            $"To choose the password instead, set {PasswordVariable} before the first run.",
        ];
        var width = lines.Max(l => l.Length);
        var rule = "+" + new string('-', width + 2) + "+";
        return string.Join(Environment.NewLine, [string.Empty, rule, .. lines.Select(l => $"| {l.PadRight(width)} |"), rule, string.Empty]);
    }
}
