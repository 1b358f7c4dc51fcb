namespace UsersFileAuth.Internal;

/// <summary>
/// A stored file as an Authorize resource: <c>file:&lt;owner&gt;/&lt;id&gt;</c>, both parts percent-encoded
/// (<see cref="Uri.EscapeDataString(string)"/>), the owner empty for a file that has none (docs/protocol.md, "File owners").
/// </summary>
/// <param name="Owner">The id of the user the file belongs to; empty when it has no owner.</param>
/// <param name="Id">The file's id.</param>
internal sealed record FileResource(string Owner, string Id)
{
    /// <summary>The scheme that marks a resource as a stored file.</summary>
    public const string Scheme = "file:";

    /// <summary>Reads a file resource; null when <paramref name="resource"/> names something else.</summary>
    /// <param name="resource">The resource of an Authorize request.</param>
    /// <returns>The owner and id, or null.</returns>
    public static FileResource? TryParse(string resource)
    {
        if (!resource.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = resource.AsSpan(Scheme.Length);
        var slash = rest.IndexOf('/');
        return slash < 0
            ? new FileResource(Uri.UnescapeDataString(rest.ToString()), string.Empty)
            : new FileResource(Uri.UnescapeDataString(rest[..slash].ToString()), Uri.UnescapeDataString(rest[(slash + 1)..].ToString()));
    }
}
