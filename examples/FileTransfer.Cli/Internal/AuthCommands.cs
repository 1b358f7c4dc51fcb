using System.CommandLine;
using Spectre.Console;

namespace FileTransfer.Cli.Internal;

/// <summary>ft login and ft logout.</summary>
internal static class AuthCommands
{
    /// <summary>ft login: signs in and saves the session (0600) in the user's config folder.</summary>
    /// <returns>The command.</returns>
    public static Command Login()
    {
        var username = new Option<string?>("--username", "-u") { Description = "The user to log in as; asked for when not given and ft runs in a terminal.", HelpName = "name" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input (for scripts); else it is asked for without echo." };
        var command = new Command("login", "Log in to the host and save the session for the next commands.") { username, passwordStdin };
        FtCommands.SetHandler(command, async (parseResult, context, cancellationToken) =>
        {
            var user = parseResult.GetValue(username);
            if (string.IsNullOrWhiteSpace(user))
            {
                if (!FtContext.CanPrompt || parseResult.GetValue(passwordStdin))
                {
                    throw CliError.Usage("no user name: pass --username NAME");
                }

                user = await context.Error.PromptAsync(new TextPrompt<string>("Username:"), cancellationToken).ConfigureAwait(false);
            }

            var password = await ReadPasswordAsync(context, parseResult.GetValue(passwordStdin), cancellationToken).ConfigureAwait(false);
            using var client = context.CreateClient();
            var result = await client.LoginAsync(user.Trim(), password, cancellationToken).ConfigureAwait(false);
            var roles = result.User?.Roles is { Count: > 0 } list ? $" (roles: {string.Join(", ", list)})" : string.Empty;
            context.Out.WriteLine($"Logged in to {client.Server} as {result.User?.Username ?? user}{roles}; the session is in {context.Store.FilePath}.");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>ft logout: revokes the token at the host and forgets the session.</summary>
    /// <returns>The command.</returns>
    public static Command Logout()
    {
        var command = new Command("logout", "Revoke the session's token at the host and forget it here.");
        FtCommands.SetHandler(command, async (parseResult, context, cancellationToken) =>
        {
            using var client = context.CreateClient();
            if (client.Session is null)
            {
                context.Out.WriteLine($"Not logged in to {client.Server}.");
                return ExitCodes.Success;
            }

            try
            {
                await client.LogoutAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is CliError or ProblemError)
            {
                // Forget it anyway: the user asked to be logged out here, and the token lapses at the host on its own.
                context.Store.Remove(client.Server);
                var (line, code) = FtCommands.Describe(ex, cancellationToken);
                throw new CliError($"the session was forgotten here, but the host did not revoke its token (it stays valid until it expires): {line}", code);
            }

            context.Store.Remove(client.Server);
            context.Out.WriteLine($"Logged out of {client.Server}.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task<string> ReadPasswordAsync(FtContext context, bool fromStdin, CancellationToken cancellationToken)
    {
        string password;
        if (fromStdin)
        {
            password = (await Console.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false)).TrimEnd('\r', '\n');
        }
        else if (FtContext.CanPrompt)
        {
            password = await context.Error.PromptAsync(new TextPrompt<string>("Password:").Secret(), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            throw CliError.Usage("no password: pass --password-stdin (for example: echo \"$PASSWORD\" | ft login -u NAME --password-stdin), or run ft login in a terminal");
        }

        return password.Length > 0 ? password : throw CliError.Usage("the password is empty");
    }
}
