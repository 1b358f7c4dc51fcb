using System.Text.Json;
using System.Text.Json.Serialization;

namespace FileTransfer.Cli.Internal;

/// <summary>A login at one host: the server and the tokens ft got there.</summary>
/// <param name="Server">The host's base URL, without a trailing slash.</param>
/// <param name="Token">The bearer token.</param>
/// <param name="RefreshToken">The token that gets a new bearer token, or null.</param>
/// <param name="ExpiresAt">When the bearer token expires, or null when the host did not say.</param>
/// <param name="Username">Who signed in, for messages.</param>
internal sealed record Session(
    string Server,
    string Token,
    string? RefreshToken,
    DateTimeOffset? ExpiresAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Username = null);

/// <summary>The content of session.json: one session per server, and the server of the latest login.</summary>
/// <param name="Current">The server of the latest login, used when neither --server nor FT_SERVER names one.</param>
/// <param name="Sessions">The sessions, one per server.</param>
internal sealed record SessionFile(string? Current, IReadOnlyList<Session> Sessions)
{
    /// <summary>A file with no session.</summary>
    public static SessionFile Empty { get; } = new(null, []);

    /// <summary>The session for a server.</summary>
    /// <param name="server">The host's base URL in canonical form.</param>
    /// <returns>The session, or null when not logged in there.</returns>
    public Session? Find(string server) => Sessions.FirstOrDefault(s => string.Equals(s.Server, server, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// Keeps the sessions in <c>&lt;ApplicationData&gt;/grpcplugins-ft/session.json</c> ($XDG_CONFIG_HOME or ~/.config on Linux
/// and macOS, %APPDATA% on Windows): the folder 0700, the file created 0600, replaced atomically so a crash never leaves
/// half a token behind.
/// </summary>
internal sealed class SessionStore
{
    /// <summary>The folder under the user's config folder that holds ft's files.</summary>
    public const string FolderName = "grpcplugins-ft";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Creates the store.</summary>
    /// <param name="configHome">The user's config folder, such as $XDG_CONFIG_HOME or ~/.config.</param>
    public SessionStore(string configHome)
    {
        ArgumentException.ThrowIfNullOrEmpty(configHome);
        Directory = Path.Combine(Path.GetFullPath(configHome), FolderName);
        FilePath = Path.Combine(Directory, "session.json");
    }

    /// <summary>The folder that holds the session file.</summary>
    public string Directory { get; }

    /// <summary>The session file.</summary>
    public string FilePath { get; }

    /// <summary>The store in the user's config folder.</summary>
    /// <returns>The store.</returns>
    /// <exception cref="CliError">The user has no config folder (no HOME).</exception>
    public static SessionStore ForCurrentUser()
    {
        // .NET already answers $XDG_CONFIG_HOME (when absolute), else ~/.config on Unix, and %APPDATA% on Windows.
        var configHome = Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        if (string.IsNullOrEmpty(configHome))
        {
            throw new CliError("Cannot find your config folder to keep the session in; set HOME or XDG_CONFIG_HOME.");
        }

        return new SessionStore(configHome);
    }

    /// <summary>Reads the sessions.</summary>
    /// <returns>The file's content; <see cref="SessionFile.Empty"/> when there is none.</returns>
    /// <exception cref="CliError">The file is unreadable or damaged.</exception>
    public SessionFile Load()
    {
        try
        {
            using var stream = File.OpenRead(FilePath);
            var file = JsonSerializer.Deserialize<SessionFile>(stream, Json);
            if (file?.Sessions is null || file.Sessions.Any(s => string.IsNullOrEmpty(s?.Server) || string.IsNullOrEmpty(s.Token)))
            {
                throw Damaged();
            }

            return file;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return SessionFile.Empty;
        }
        catch (JsonException)
        {
            throw Damaged();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliError($"Cannot read the session file {FilePath}: {ex.Message}");
        }
    }

    /// <summary>Adds or replaces the session of its server.</summary>
    /// <param name="session">The session.</param>
    /// <param name="makeCurrent">Whether its server becomes the one used when no --server is given (true at login).</param>
    /// <exception cref="CliError">The file cannot be written.</exception>
    public void Save(Session session, bool makeCurrent)
    {
        ArgumentNullException.ThrowIfNull(session);
        var file = Load();
        var sessions = file.Sessions.Where(s => !string.Equals(s.Server, session.Server, StringComparison.OrdinalIgnoreCase)).Append(session).ToList();
        Write(new SessionFile(makeCurrent ? session.Server : file.Current ?? session.Server, sessions));
    }

    /// <summary>Forgets the session of a server; deletes the file when it was the last.</summary>
    /// <param name="server">The host's base URL in canonical form.</param>
    /// <returns>Whether there was a session for it.</returns>
    /// <exception cref="CliError">The file cannot be written.</exception>
    public bool Remove(string server)
    {
        var file = Load();
        var sessions = file.Sessions.Where(s => !string.Equals(s.Server, server, StringComparison.OrdinalIgnoreCase)).ToList();
        if (sessions.Count == file.Sessions.Count)
        {
            return false;
        }

        if (sessions.Count == 0)
        {
            try
            {
                File.Delete(FilePath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliError($"Cannot delete the session file {FilePath}: {ex.Message}");
            }

            return true;
        }

        var current = string.Equals(file.Current, server, StringComparison.OrdinalIgnoreCase) ? sessions[^1].Server : file.Current;
        Write(new SessionFile(current, sessions));
        return true;
    }

    private CliError Damaged() => new($"The session file {FilePath} is damaged; delete it and run ft login.");

    // Written to a new 0600 file in the same folder, then renamed over the old one.
    private void Write(SessionFile file)
    {
        var temp = Path.Combine(Directory, $".session.{Guid.NewGuid():N}.tmp");
        try
        {
            CreatePrivateDirectory();
            var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                // Set at creation, so the token is never readable by others, not even for a moment.
                fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temp, fileOptions))
            {
                JsonSerializer.Serialize(stream, file, Json);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, FilePath, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new CliError($"Cannot save the session to {FilePath}: {ex.Message}");
        }
    }

    private void CreatePrivateDirectory()
    {
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(Directory);
            return;
        }

        // The parent (such as ~/.config) keeps the usual mode; only ft's own folder is private.
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(Directory)!);
        System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover temp file holds no more than the file it was meant to replace.
        }
    }
}
