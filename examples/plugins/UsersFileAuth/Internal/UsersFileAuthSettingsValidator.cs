using Microsoft.Extensions.Options;

namespace UsersFileAuth.Internal;

/// <summary>
/// The rules between settings that data annotations cannot state: <c>users_file</c> is required without
/// <c>connection_string</c>, the OIDC keys go together, and <c>admin_username</c> needs <c>admin_password</c>. The SDK
/// runs it at Init, after binding, and refuses the Init with its messages (which never echo a password or a
/// connection string).
/// </summary>
internal sealed class UsersFileAuthSettingsValidator : IValidateOptions<UsersFileAuthSettings>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, UsersFileAuthSettings options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (AuthSettings.Optional(options.UsersFile) is null && AuthSettings.Optional(options.ConnectionString) is null)
        {
            failures.Add($"The '{UsersFileAuthSettings.UsersFileKey}' setting is missing: set it to the path of the JSON users file (it is created when an admin is bootstrapped or by 'UsersFileAuth add-user'), or set '{UsersFileAuthSettings.ConnectionStringKey}' to keep users in PostgreSQL.");
        }

        string?[] oidc = [options.OidcIssuer, options.OidcAudience, options.OidcJwksFile];
        var missing = UsersFileAuthSettings.OidcKeys.Where((_, i) => AuthSettings.Optional(oidc[i]) is null).ToList();
        if (missing.Count is > 0 and < 3)
        {
            failures.Add($"OIDC is partly configured: also set {string.Join(" and ", missing.Select(m => $"'{m}'"))}, or remove the other oidc_ keys.");
        }

        if (AuthSettings.Optional(options.AdminUsername) is not null && string.IsNullOrEmpty(options.AdminPassword))
        {
            failures.Add($"The '{UsersFileAuthSettings.AdminUsernameKey}' setting is set without '{UsersFileAuthSettings.AdminPasswordKey}': set the password too, or remove the username.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
