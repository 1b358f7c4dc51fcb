using System.CommandLine;

namespace FileTransfer.Cli.Internal;

/// <summary>The command tree of ft and the one place where every failure becomes one line on standard error and an exit code.</summary>
internal static class FtCommands
{
    private static readonly Option<string?> ServerOption = new("--server", "-s")
    {
        Description = $"The host's base URL. Defaults to ${FtContext.ServerVariable}, else the server of the latest login, else {FtContext.DefaultServer}.",
        HelpName = "url",
        Recursive = true,
    };

    private static readonly Option<bool> QuietOption = new("--quiet", "-q")
    {
        Description = "Show no progress bars.",
        Recursive = true,
    };

    /// <summary>Parses the command line and runs the command.</summary>
    /// <param name="args">The command line.</param>
    /// <returns>The process exit code (see <see cref="ExitCodes"/>).</returns>
    public static async Task<int> RunAsync(string[] args)
    {
        var root = Build();
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // System.CommandLine would print every error and the whole help; one line says enough.
            await Console.Error.WriteLineAsync($"ft: {parsed.Errors[0].Message} (see ft --help)").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
    }

    /// <summary>Builds the command tree.</summary>
    /// <returns>The root command.</returns>
    public static RootCommand Build()
    {
        var root = new RootCommand("ft: the command-line client of the FileTransfer host. Log in, then put, get, list, remove and send files.")
        {
            ServerOption,
            QuietOption,
            AuthCommands.Login(),
            AuthCommands.Logout(),
            FileCommands.Put(),
            FileCommands.Get(),
            FileCommands.List(),
            FileCommands.Remove(),
            TransferCommands.Send(),
            TransferCommands.Status(),
        };
        root.SetAction(parseResult =>
        {
            // Bare "ft" shows the help, but as a usage error so a script that forgot the verb notices.
            root.Parse(["--help"]).Invoke();
            return ExitCodes.Usage;
        });
        return root;
    }

    /// <summary>Gives a command its action: creates the context, runs the body, and turns any failure into one line.</summary>
    /// <param name="command">The command.</param>
    /// <param name="body">What it does; returns the exit code.</param>
    public static void SetHandler(Command command, Func<ParseResult, FtContext, CancellationToken, Task<int>> body)
    {
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            try
            {
                var context = FtContext.Create(parseResult.GetValue(ServerOption), parseResult.GetValue(QuietOption));
                return await body(parseResult, context, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                var (line, code) = Describe(ex, cancellationToken);
                // One line, whatever the message holds, so scripts and people read the same thing.
                var oneLine = string.Join(' ', line.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                await Console.Error.WriteLineAsync("ft: " + oneLine).ConfigureAwait(false);
                return code;
            }
        });
    }

    /// <summary>The one line and the exit code for a failure; never a stack trace.</summary>
    /// <param name="error">The failure.</param>
    /// <param name="cancellationToken">The command's token, to tell Ctrl+C from a timeout.</param>
    /// <returns>The line (without the "ft: " prefix) and the exit code.</returns>
    public static (string Line, int ExitCode) Describe(Exception error, CancellationToken cancellationToken) => error switch
    {
        CliError cli => (cli.Message, cli.ExitCode),
        ProblemError problem => (problem.DisplayText, problem.ExitCode),
        OperationCanceledException when cancellationToken.IsCancellationRequested => ("cancelled", ExitCodes.Cancelled),
        HttpRequestException http => ($"the connection to the host broke: {http.Message}", ExitCodes.Failure),
        IOException io => (io.Message, ExitCodes.Failure),
        UnauthorizedAccessException access => (access.Message, ExitCodes.Failure),
        _ => ($"unexpected {error.GetType().Name}: {error.Message}", ExitCodes.Failure),
    };
}
