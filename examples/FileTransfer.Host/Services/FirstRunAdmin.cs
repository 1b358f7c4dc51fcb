using System.Security.Cryptography;
using GrpcPlugins.Hosting;

namespace FileTransfer.Host.Services;

/// <summary>
/// On first run (no users file yet), has the auth plugin create the admin user: with FT_ADMIN_PASSWORD when set, else
/// with a random password that is printed once.
/// </summary>
public static class FirstRunAdmin
{
    /// <summary>The environment variable that sets the first admin's password.</summary>
    public const string PasswordVariable = "FT_ADMIN_PASSWORD";

    /// <summary>Adds the admin's name and password to the auth plugin's Init config when its users file does not exist yet.</summary>
    /// <param name="plugins">The host's plugin settings.</param>
    /// <param name="options">The host's settings.</param>
    /// <param name="announce">Prints the generated password.</param>
    public static void Apply(GrpcPluginsOptions plugins, FileTransferOptions options, Action<string> announce)
    {
        if (!plugins.Plugins.TryGetValue(options.AuthPlugin, out var auth)
            || !auth.Config.TryGetValue("users_file", out var usersFile)
            || File.Exists(usersFile))
        {
            return;
        }

        var password = Environment.GetEnvironmentVariable(PasswordVariable);
        if (string.IsNullOrEmpty(password))
        {
            password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', 'x').Replace('/', 'y');
            announce($"First run: created user '{options.AdminUsername}' with password {password} . It is shown only this once; set {PasswordVariable} to choose it instead.");
        }

        auth.Config["admin_username"] = options.AdminUsername;
        auth.Config["admin_password"] = password;
    }
}
