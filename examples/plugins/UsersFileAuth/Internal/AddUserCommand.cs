using System.CommandLine;

namespace UsersFileAuth.Internal;

/// <summary>
/// <c>UsersFileAuth add-user --file users.json --username alice --role reader [--role writer] [--password-stdin | --password X]</c>:
/// creates or updates a user in the users file and prints one line. With <c>--connection-string</c> instead of
/// <c>--file</c>, the user is kept in PostgreSQL (table <c>ft_users</c>), where every host on that database sees it.
/// </summary>
internal static class AddUserCommand
{
    /// <summary>The first argument that selects this command instead of serving the plugin.</summary>
    public const string Name = "add-user";

    /// <summary>Runs the command.</summary>
    /// <param name="args">All arguments, starting with <see cref="Name"/>.</param>
    /// <param name="input">Where --password-stdin reads the password from.</param>
    /// <param name="output">Receives the one-line result.</param>
    /// <param name="error">Receives the one-line error.</param>
    /// <param name="cancellationToken">Stops the command.</param>
    /// <returns>0 on success, 1 when the user could not be saved, 2 for a usage error.</returns>
    public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        var file = new Option<FileInfo?>("--file", "-f") { Description = "The users file to create or update." };
        var connectionString = new Option<string?>("--connection-string")
        {
            Description = "Instead of --file: the PostgreSQL database of hosts that share their users (the plugin's connection_string).",
        };
        var username = new Option<string>("--username", "-u") { Description = "The user's login name.", Required = true };
        var roles = new Option<string[]>("--role", "-r")
        {
            Description = $"A role: {string.Join(", ", RolePolicy.KnownRoles)}. Repeat for several. Replaces the user's roles; required for a new user.",
            AllowMultipleArgumentsPerToken = false,
        };
        var displayName = new Option<string?>("--display-name") { Description = "The user's name for people." };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from the first line of standard input." };
        var password = new Option<string?>("--password")
        {
            Description = "The password. Prefer --password-stdin: a password on the command line is visible to other local users.",
        };

        var command = new Command(Name, "Create or update a user in the users file.")
        {
            file, connectionString, username, roles, displayName, passwordStdin, password,
        };
        var root = new RootCommand("UsersFileAuth: an auth plugin for GrpcPlugins. Run without arguments by a host; 'add-user' manages the users file.")
        {
            command,
        };

        command.SetAction((parsed, ct) =>
        {
            var request = new AddUserRequest(
                parsed.GetValue(file)?.FullName,
                parsed.GetValue(connectionString),
                parsed.GetRequiredValue(username).Trim(),
                [.. (parsed.GetValue(roles) ?? []).Select(r => r.Trim().ToLowerInvariant())],
                parsed.GetValue(displayName),
                parsed.GetValue(passwordStdin),
                parsed.GetValue(password));
            return ExecuteAsync(request, input, output, error, ct);
        });

        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            // One clear line instead of the parser's error list followed by the whole help text.
            await error.WriteLineAsync($"add-user: {result.Errors[0].Message} Run 'UsersFileAuth add-user --help' for usage.").ConfigureAwait(false);
            return 2;
        }

        return await result.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> ExecuteAsync(AddUserRequest request, TextReader input, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var problem = Validate(request);
        if (problem is not null)
        {
            await error.WriteLineAsync($"add-user: {problem}").ConfigureAwait(false);
            return 2;
        }

        string? newPassword = request.Password;
        if (request.PasswordFromStdin)
        {
            newPassword = (await input.ReadLineAsync(cancellationToken).ConfigureAwait(false))?.TrimEnd('\r', '\n');
            if (string.IsNullOrEmpty(newPassword))
            {
                await error.WriteLineAsync("add-user: --password-stdin read no password: pipe it in, e.g. 'printf %s \"$PW\" | UsersFileAuth add-user ...'.").ConfigureAwait(false);
                return 2;
            }
        }

        if (request.ConnectionString is { } connectionString)
        {
            return await ExecuteSharedAsync(request, connectionString, newPassword, output, error, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var users = UsersFile.Load(request.File!) ?? new UsersFile([]);
            if (users.Find(request.Username) is null && newPassword is null)
            {
                await error.WriteLineAsync($"add-user: user '{request.Username}' does not exist yet, so it needs a password: pass --password-stdin.").ConfigureAwait(false);
                return 2;
            }

            if (users.Find(request.Username) is null && request.Roles.Count == 0)
            {
                await error.WriteLineAsync($"add-user: user '{request.Username}' does not exist yet, so it needs at least one --role ({string.Join(", ", RolePolicy.KnownRoles)}).").ConfigureAwait(false);
                return 2;
            }

            var hash = newPassword is null ? null : PasswordHasher.Hash(newPassword);
            var (user, created) = users.Upsert(request.Username, request.Roles, hash, request.DisplayName);
            users.Save(request.File!);
            var verb = created ? "Created" : "Updated";
            await output.WriteLineAsync(
                $"{verb} user '{user.Username}' (id {user.Id}, roles {string.Join(", ", user.Roles)}) in {request.File}.").ConfigureAwait(false);
            return 0;
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"add-user: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    private static async Task<int> ExecuteSharedAsync(AddUserRequest request, string connectionString, string? newPassword, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        try
        {
            await using var accounts = await PostgresAccounts.OpenAsync(connectionString, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            var exists = await accounts.Users.FindAsync(request.Username, cancellationToken).ConfigureAwait(false) is not null;
            if (!exists && (newPassword is null || request.Roles.Count == 0))
            {
                await error.WriteLineAsync($"add-user: user '{request.Username}' does not exist yet, so it needs a password (--password-stdin) and at least one --role ({string.Join(", ", RolePolicy.KnownRoles)}).").ConfigureAwait(false);
                return 2;
            }

            var hash = newPassword is null ? null : PasswordHasher.Hash(newPassword);
            var (user, created) = await accounts.Users.UpsertAsync(request.Username, request.Roles, hash, request.DisplayName, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(
                $"{(created ? "Created" : "Updated")} user '{user.Username}' (id {user.Id}, roles {string.Join(", ", user.Roles)}) in PostgreSQL (ft_users).").ConfigureAwait(false);
            return 0;
        }
        catch (GrpcPlugins.PluginException ex)
        {
            await error.WriteLineAsync($"add-user: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    private static string? Validate(AddUserRequest request)
    {
        string? problem = null;
        if ((request.File is null) == (request.ConnectionString is null))
        {
            problem = "give either --file (a users file) or --connection-string (users in PostgreSQL), not both or neither.";
        }
        else if (request.Username.Length == 0)
        {
            problem = "--username is empty.";
        }
        else if (request.PasswordFromStdin && request.Password is not null)
        {
            problem = "use either --password-stdin or --password, not both.";
        }
        else if (request.Password is { Length: 0 })
        {
            problem = "--password is empty.";
        }
        else if (request.Roles.FirstOrDefault(r => !RolePolicy.IsKnown(r)) is { } unknown)
        {
            problem = $"unknown role '{unknown}': use {string.Join(", ", RolePolicy.KnownRoles)}.";
        }

        return problem;
    }

    private sealed record AddUserRequest(
        string? File,
        string? ConnectionString,
        string Username,
        IReadOnlyCollection<string> Roles,
        string? DisplayName,
        bool PasswordFromStdin,
        string? Password);
}
