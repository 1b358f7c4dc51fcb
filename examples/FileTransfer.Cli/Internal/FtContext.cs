using Spectre.Console;

namespace FileTransfer.Cli.Internal;

/// <summary>
/// What every command needs: the server it talks to (from --server, FT_SERVER, the latest login, or the default),
/// the session store, and the two consoles. Results go to standard output; progress, prompts and errors to standard
/// error, so <c>ft get ID -o -</c> can stream the file's bytes alone to standard output.
/// </summary>
internal sealed class FtContext
{
    /// <summary>The server used when nothing else names one.</summary>
    public const string DefaultServer = "http://127.0.0.1:5080";

    /// <summary>The environment variable that names the server when --server is not given.</summary>
    public const string ServerVariable = "FT_SERVER";

    // Requests that move no file body get this long each; uploads, downloads and event streams take as long as they need.
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    private FtContext(string server, SessionStore store, SessionFile sessions, bool quiet)
    {
        Server = server;
        Store = store;
        Sessions = sessions;
        Quiet = quiet;
        Out = CreateConsole(Console.Out, Console.IsOutputRedirected);
        Error = CreateConsole(Console.Error, Console.IsErrorRedirected);
    }

    /// <summary>The host's base URL in canonical form.</summary>
    public string Server { get; }

    /// <summary>Where sessions are kept.</summary>
    public SessionStore Store { get; }

    /// <summary>The sessions as read at start.</summary>
    public SessionFile Sessions { get; }

    /// <summary>Whether progress bars are off (--quiet).</summary>
    public bool Quiet { get; }

    /// <summary>Standard output: tables and results.</summary>
    public IAnsiConsole Out { get; }

    /// <summary>Standard error: progress bars and prompts.</summary>
    public IAnsiConsole Error { get; }

    /// <summary>Whether a person can answer prompts: standard input and standard error are a terminal.</summary>
    public static bool CanPrompt => !Console.IsInputRedirected && !Console.IsErrorRedirected;

    /// <summary>Reads the session file and picks the server.</summary>
    /// <param name="serverOption">The --server value, or null.</param>
    /// <param name="quiet">Whether progress bars are off.</param>
    /// <returns>The context.</returns>
    /// <exception cref="CliError">The server is not an http(s) URL, or the session file is damaged.</exception>
    public static FtContext Create(string? serverOption, bool quiet)
    {
        var store = SessionStore.ForCurrentUser();
        var sessions = store.Load();
        string server;
        if (!string.IsNullOrWhiteSpace(serverOption))
        {
            server = Format.ServerAddress(serverOption, "--server");
        }
        else if (Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } fromEnvironment)
        {
            server = Format.ServerAddress(fromEnvironment, ServerVariable);
        }
        else
        {
            server = sessions.Current is { Length: > 0 } current ? current : DefaultServer;
        }

        return new FtContext(server, store, sessions, quiet);
    }

    /// <summary>A client for <see cref="Server"/> with its saved session, if any.</summary>
    /// <returns>The client; the caller disposes it.</returns>
    public FtApiClient CreateClient() => CreateClient(Server);

    /// <summary>A client for a server with its saved session, if any.</summary>
    /// <param name="server">The host's base URL in canonical form.</param>
    /// <returns>The client; the caller disposes it.</returns>
    public FtApiClient CreateClient(string server) => new(server, Store, Sessions.Find(server), TimeProvider.System, RequestTimeout);

    private static IAnsiConsole CreateConsole(TextWriter writer, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),

            // Escape codes in a file or pipe are noise for whoever reads it.
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        });
        if (redirected)
        {
            // A pipe has no width; wide enough that ids and names are never wrapped or cut.
            console.Profile.Width = 240;
        }

        return console;
    }
}
