using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace UsersFileAuth.Internal;

/// <summary>One user as stored in the users file.</summary>
internal sealed record UserRecord
{
    /// <summary>The stable identifier, reported as the user's id.</summary>
    public string Id { get; init; } = string.Empty;

    /// <summary>The login name, unique without regard to case.</summary>
    public string Username { get; init; } = string.Empty;

    /// <summary>The name shown to people; may be empty.</summary>
    public string? DisplayName { get; init; }

    /// <summary>The user's roles, such as "reader".</summary>
    public List<string> Roles { get; init; } = [];

    /// <summary>The encoded password hash (see <see cref="PasswordHasher"/>).</summary>
    public string PasswordHash { get; init; } = string.Empty;
}

/// <summary>The JSON shape of the users file.</summary>
internal sealed class UsersDocument
{
    /// <summary>The users; null when the file lacks the "users" array.</summary>
    public List<UserRecord>? Users { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(UsersDocument))]
internal sealed partial class UsersJsonContext : JsonSerializerContext;

/// <summary>
/// The users file: <c>{ "users": [ { "id", "username", "displayName", "roles", "passwordHash" } ] }</c>.
/// Loading validates every user; saving replaces the file atomically with one readable only by its owner.
/// </summary>
internal sealed class UsersFile
{
    // The file is never embedded in HTML, so base64 '+' and non-ASCII names are written as they are, for people who read it.
    private static readonly JsonTypeInfo<UsersDocument> WriteTypeInfo = (JsonTypeInfo<UsersDocument>)new JsonSerializerOptions(UsersJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    }.GetTypeInfo(typeof(UsersDocument));

    private readonly List<UserRecord> _users;

    /// <summary>Creates a users file content with the given users.</summary>
    public UsersFile(IEnumerable<UserRecord> users)
    {
        ArgumentNullException.ThrowIfNull(users);
        _users = [.. users];
    }

    /// <summary>The users, in file order.</summary>
    public IReadOnlyList<UserRecord> Users => _users;

    /// <summary>Finds a user by name, without regard to case.</summary>
    public UserRecord? Find(string username) =>
        _users.Find(u => string.Equals(u.Username, username, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Reads and validates a users file. Returns null when the file does not exist.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not valid JSON or a user in it is invalid; the message gives the line and position.</exception>
    /// <exception cref="IOException">The file exists but could not be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file exists but may not be read.</exception>
    public static UsersFile? Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        UsersDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(bytes, UsersJsonContext.Default.UsersDocument);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line
                ? $" at line {line + 1}, position {(ex.BytePositionInLine ?? 0) + 1}"
                : string.Empty;
            throw new InvalidDataException(
                $"The users file '{path}' is not valid{where}: {FirstSentence(ex.Message)} Fix the file, or move it away and recreate the users with 'UsersFileAuth add-user'.",
                ex);
        }

        if (document?.Users is null)
        {
            throw new InvalidDataException($"The users file '{path}' has no \"users\" array. It should look like {{ \"users\": [ ... ] }}.");
        }

        var file = new UsersFile(document.Users.Select(u => u is null ? null! : u with { Roles = u.Roles ?? [] }));
        file.Validate(path);
        return file;
    }

    /// <summary>
    /// Writes the file atomically: a temporary file beside it (mode 0600) that then replaces it, so
    /// that a reader never sees half a file and a crash never leaves one.
    /// </summary>
    public void Save(string path) =>
        PrivateFile.WriteAtomically(path, stream => JsonSerializer.Serialize(stream, new UsersDocument { Users = _users }, WriteTypeInfo));

    /// <summary>
    /// Adds a user, or updates the one with the same name. Null arguments keep the existing values.
    /// </summary>
    /// <returns>The stored user and whether it was created.</returns>
    /// <exception cref="ArgumentException">A new user lacks a password hash or roles.</exception>
    public (UserRecord User, bool Created) Upsert(string username, IReadOnlyCollection<string>? roles, string? passwordHash, string? displayName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(username);
        var index = _users.FindIndex(u => string.Equals(u.Username, username, StringComparison.OrdinalIgnoreCase));
        if (index < 0)
        {
            if (passwordHash is null)
            {
                throw new ArgumentException($"User '{username}' does not exist yet, so it needs a password.", nameof(passwordHash));
            }

            if (roles is null || roles.Count == 0)
            {
                throw new ArgumentException($"User '{username}' does not exist yet, so it needs at least one role.", nameof(roles));
            }

            var created = new UserRecord
            {
                Id = Guid.CreateVersion7().ToString(),
                Username = username,
                DisplayName = displayName,
                Roles = [.. roles.Distinct(StringComparer.OrdinalIgnoreCase)],
                PasswordHash = passwordHash,
            };
            _users.Add(created);
            return (created, true);
        }

        var existing = _users[index];
        var updated = existing with
        {
            DisplayName = displayName ?? existing.DisplayName,
            Roles = roles is { Count: > 0 } ? [.. roles.Distinct(StringComparer.OrdinalIgnoreCase)] : existing.Roles,
            PasswordHash = passwordHash ?? existing.PasswordHash,
        };
        _users[index] = updated;
        return (updated, false);
    }

    private void Validate(string path)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < _users.Count; i++)
        {
            var user = _users[i];
            string? problem = null;
            if (user is null)
            {
                problem = "it is null";
            }
            else if (string.IsNullOrWhiteSpace(user.Username))
            {
                problem = "it has no \"username\"";
            }
            else if (string.IsNullOrWhiteSpace(user.Id))
            {
                problem = "it has no \"id\"";
            }
            else if (!names.Add(user.Username))
            {
                problem = "another user has the same username";
            }
            else if (!ids.Add(user.Id))
            {
                problem = $"another user has the same id '{user.Id}'";
            }
            else if (!PasswordHasher.IsValid(user.PasswordHash ?? string.Empty, out var hashProblem))
            {
                problem = $"its \"passwordHash\" is unusable: {hashProblem}; set a new password with 'UsersFileAuth add-user'";
            }
            else if (user.Roles.Any(string.IsNullOrWhiteSpace))
            {
                problem = "it has an empty role";
            }

            if (problem is not null)
            {
                var name = string.IsNullOrWhiteSpace(user?.Username) ? string.Empty : $" ('{user.Username}')";
                throw new InvalidDataException($"The users file '{path}' is not valid: user #{i + 1}{name}: {problem}.");
            }
        }
    }

    // System.Text.Json appends " Path: $ | LineNumber: 0 | ..." with zero-based numbers; the caller reports them one-based.
    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        var sentence = (cut < 0 ? message : message[..cut]).Trim();
        return sentence.EndsWith('.') ? sentence : sentence + ".";
    }
}
