using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace UsersFileAuth.Internal;

/// <summary>The JSON shape of the sessions file.</summary>
internal sealed class SessionsDocument
{
    /// <summary>The token pairs, by the hashes of their tokens.</summary>
    public List<Session>? Sessions { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SessionsDocument))]
internal sealed partial class SessionsJsonContext : JsonSerializerContext;

/// <summary>
/// The sessions file (<c>sessions_file</c>): the live token pairs, each as the SHA-256 of its tokens with expiries and
/// user, so that sign-ins survive a restart or an upgrade of the plugin. Sessions are not precious: a file that cannot
/// be read is moved aside and everyone signs in again; a file that cannot be written leaves sessions in memory only.
/// </summary>
internal sealed class SessionsFile(string path, ILogger logger, TimeProvider time)
{
    /// <summary>The file's path.</summary>
    public string Path { get; } = path;

    /// <summary>Reads the sessions; none when the file does not exist or cannot be read (then it is kept aside, named in the log).</summary>
    public IReadOnlyList<Session> Load()
    {
        try
        {
            using var stream = File.OpenRead(Path);
            var document = JsonSerializer.Deserialize(stream, SessionsJsonContext.Default.SessionsDocument);
            return document?.Sessions?.Where(IsComplete).ToList() ?? [];
        }
        catch (FileNotFoundException)
        {
            return [];
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
        catch (JsonException ex)
        {
            var aside = $"{Path}.unreadable-{time.GetUtcNow():yyyyMMddHHmmss}";
            TryMove(Path, aside);
            UsersFileAuthLog.SessionsUnreadable(logger, Path, ex.Message, aside);
            return [];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            UsersFileAuthLog.SessionsUnreadable(logger, Path, ex.Message, Path);
            return [];
        }
    }

    /// <summary>Replaces the file with <paramref name="sessions"/>; a failure is logged, not thrown, since sign-in works without it.</summary>
    public void Save(IReadOnlyList<Session> sessions)
    {
        try
        {
            PrivateFile.WriteAtomically(Path, stream => JsonSerializer.Serialize(stream, new SessionsDocument { Sessions = [.. sessions] }, SessionsJsonContext.Default.SessionsDocument));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            UsersFileAuthLog.SessionsNotSaved(logger, Path, ex.Message);
        }
    }

    private static bool IsComplete(Session? session) =>
        session is { AccessHash.Length: > 0, RefreshHash.Length: > 0, User: { Id.Length: > 0, Roles: not null } };

    private static void TryMove(string from, string to)
    {
        try
        {
            File.Move(from, to, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left in place; the next save replaces it.
        }
    }
}
