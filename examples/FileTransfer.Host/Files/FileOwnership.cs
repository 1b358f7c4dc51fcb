using FileTransfer.Host.Auth;
using FileTransfer.Host.Http;
using FileTransfer.Host.Transfers;
using GrpcPlugins.Storage.V1;
using Action = GrpcPlugins.Auth.V1.Action;

namespace FileTransfer.Host.Files;

/// <summary>
/// Who may see and manage a stored file: the auth plugin decides, through Authorize with the file as the resource
/// (<c>file:&lt;owner&gt;/&lt;id&gt;</c>, docs/protocol.md "File owners"). A file the signed-in user may not act on is
/// answered as if it did not exist (404), so that ids of other users' files reveal nothing.
/// </summary>
public static class FileOwnership
{
    /// <summary>The Authorize resource of a stored file: <c>file:</c>, the owner's id, <c>/</c>, the file's id, both percent-encoded.</summary>
    /// <param name="owner">The id of the user the file belongs to; empty when it has none (it then belongs to the admins).</param>
    /// <param name="id">The file's id.</param>
    /// <returns>The resource.</returns>
    public static string Resource(string owner, string id) => $"file:{Uri.EscapeDataString(owner)}/{Uri.EscapeDataString(id)}";

    /// <summary>Refuses, as a 404, a request whose signed-in user may not take <paramref name="action"/> on the file.</summary>
    /// <param name="http">The session-gated request.</param>
    /// <param name="id">The file's id.</param>
    /// <param name="metadata">The file's metadata, which names its owner.</param>
    /// <param name="action">What the user wants to do with the file.</param>
    /// <returns>A task that completes when the action is allowed.</returns>
    /// <exception cref="ApiException">The user may not (404 not_found).</exception>
    public static async Task RequireAsync(HttpContext http, string id, ObjectMetadata metadata, Action action)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(metadata);
        if (!await AllowedAsync(http, metadata.Owner, id, action))
        {
            throw NotYours(id);
        }
    }

    /// <summary>The items of a listing that the signed-in user may read, in their order; one Authorize per distinct owner.</summary>
    /// <param name="http">The session-gated request.</param>
    /// <param name="items">The items the storage plugin listed.</param>
    /// <returns>The items the user may see.</returns>
    public static async Task<List<Item>> VisibleAsync(HttpContext http, IEnumerable<Item> items)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(items);
        var byOwner = new Dictionary<string, bool>(StringComparer.Ordinal);
        var visible = new List<Item>();
        foreach (var item in items)
        {
            var owner = item.Metadata?.Owner ?? string.Empty;
            if (!byOwner.TryGetValue(owner, out var allowed))
            {
                // The owner decides, not the file: one question per owner, about the first of its files.
                allowed = byOwner[owner] = await AllowedAsync(http, owner, item.Id, Action.Read);
            }

            if (allowed)
            {
                visible.Add(item);
            }
        }

        return visible;
    }

    /// <summary>The error for a file the user may not act on: the same 404 as for a file that does not exist.</summary>
    /// <param name="id">The file's id.</param>
    /// <returns>The error, to throw.</returns>
    public static ApiException NotYours(string id) =>
        ApiException.NotFound($"No file with id '{id}' is yours to use; list your files with GET /v1/files (an admin sees everyone's).");

    private static async Task<bool> AllowedAsync(HttpContext http, string owner, string id, Action action)
    {
        var token = http.BearerToken() ?? string.Empty;
        var auth = http.RequestServices.GetRequiredService<PluginSelector>().Auth;
        var decision = await auth.AuthorizeAsync(token, Resource(owner, id), action, http.RequestAborted);
        return decision.Allowed;
    }
}
