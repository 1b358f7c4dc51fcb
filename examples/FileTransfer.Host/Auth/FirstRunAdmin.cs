using System.Security.Cryptography;
using GrpcPlugins.Hosting;

namespace FileTransfer.Host.Auth;

/// <summary>
/// On first run (no users file yet), has the auth plugin create the admin user: with FT_ADMIN_PASSWORD when set, else
/// with a random password that is printed once.
/// </summary>
/// <param name="options">The host's settings.</param>
/// <param name="announce">Prints the generated password.</param>
public sealed class FirstRunAdmin(FileTransferOptions options, Action<string> announce)
{
    /// <summary>The environment variable that sets the first admin's password.</summary>
    public const string PasswordVariable = "FT_ADMIN_PASSWORD";

    // Options are built more than once (IOptions, IOptionsMonitor, validation), and every build must agree on one password.
    private readonly Lazy<string> _password = new(() => Choose(options, announce));

    /// <summary>Adds the admin's name and password to the auth plugin's Init config when its users file does not exist yet.</summary>
    /// <param name="plugins">The host's plugin settings.</param>
    public void Apply(GrpcPluginsOptions plugins)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        if (!plugins.Plugins.TryGetValue(options.AuthPlugin, out var auth)
            || !auth.Config.TryGetValue("users_file", out var usersFile)
            || File.Exists(usersFile))
        {
            return;
        }

        auth.Config["admin_username"] = options.AdminUsername;
        auth.Config["admin_password"] = _password.Value;
    }

    private static string Choose(FileTransferOptions options, Action<string> announce)
    {
        var password = Environment.GetEnvironmentVariable(PasswordVariable);
        if (!string.IsNullOrEmpty(password))
        {
            return password;
        }

        password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', 'x').Replace('/', 'y');
        announce(Banner(options.AdminUsername, password));
        return password;
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
