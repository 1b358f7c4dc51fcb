using AuthAction = GrpcPlugins.Auth.V1.Action;

namespace UsersFileAuth.Internal;

/// <summary>
/// Which role may do what: reader reads; writer reads, writes and deletes; admin may do everything. On a stored file
/// (a <see cref="FileResource"/>, <c>file:&lt;owner&gt;/&lt;id&gt;</c>) the role must allow the action and, unless the
/// user is an admin, the file must be the user's own: a file without an owner belongs to the admins.
/// </summary>
internal static class RolePolicy
{
    /// <summary>The role that may read.</summary>
    public const string Reader = "reader";

    /// <summary>The role that may read, write and delete.</summary>
    public const string Writer = "writer";

    /// <summary>The role that may do everything, administration included.</summary>
    public const string Admin = "admin";

    /// <summary>The roles this policy knows, in order of power.</summary>
    public static IReadOnlyList<string> KnownRoles { get; } = [Reader, Writer, Admin];

    private static readonly Dictionary<string, AuthAction[]> Grants = new(StringComparer.OrdinalIgnoreCase)
    {
        [Reader] = [AuthAction.Read],
        [Writer] = [AuthAction.Read, AuthAction.Write, AuthAction.Delete],
        [Admin] = [AuthAction.Read, AuthAction.Write, AuthAction.Delete, AuthAction.Admin],
    };

    /// <summary>Whether a role name is one this policy knows, without regard to case.</summary>
    public static bool IsKnown(string role) => Grants.ContainsKey(role);

    /// <summary>Decides whether a user with these roles may perform an action.</summary>
    /// <returns>Whether it is allowed and, when not, a reason for a person.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The action is unspecified or unknown.</exception>
    public static (bool Allowed, string Reason) Decide(AuthenticatedUser user, string resource, AuthAction action)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (action is AuthAction.Unspecified || !Enum.IsDefined(action))
        {
            throw new ArgumentOutOfRangeException(nameof(action), action, "The action must be read, write, delete or admin.");
        }

        if (user.Roles.Any(r => Grants.TryGetValue(r, out var actions) && actions.Contains(action)))
        {
            return FileResource.TryParse(resource ?? string.Empty) is { } file ? DecideOwner(user, file, action) : (true, string.Empty);
        }

        var needed = string.Join(" or ", KnownRoles.Where(r => Grants[r].Contains(action)));
        var has = user.Roles.Count == 0 ? "no roles" : $"roles {string.Join(", ", user.Roles)}";
        var target = string.IsNullOrEmpty(resource) ? string.Empty : $" on '{resource}'";
        return (false, $"User '{user.Username}' has {has}; {ActionName(action)}{target} needs role {needed}.");
    }

    // The role allows the action; on a file, only its owner and the admins may take it.
    private static (bool Allowed, string Reason) DecideOwner(AuthenticatedUser user, FileResource file, AuthAction action)
    {
        if (user.Roles.Contains(Admin, StringComparer.OrdinalIgnoreCase) || (file.Owner.Length > 0 && file.Owner == user.Id))
        {
            return (true, string.Empty);
        }

        return file.Owner.Length == 0
            ? (false, $"User '{user.Username}' may not {ActionName(action)} file '{file.Id}': it has no owner, so it belongs to the admins; an admin may share or re-upload it.")
            : (false, $"User '{user.Username}' may not {ActionName(action)} file '{file.Id}': it belongs to another user; only its owner and the admins may.");
    }

    /// <summary>The lower-case name of an action, as people write it.</summary>
    public static string ActionName(AuthAction action) => action switch
    {
        AuthAction.Read => "read",
        AuthAction.Write => "write",
        AuthAction.Delete => "delete",
        AuthAction.Admin => "admin",
        _ => action.ToString(),
    };
}
