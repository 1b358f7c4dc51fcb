using System.Security.Cryptography;
using System.Text;
using GrpcPlugins;

namespace FileTransfer.Host.Files;

/// <summary>
/// The idempotency keys sent to the storage plugin with a store (<c>ObjectMetadata.idempotency_key</c>). A client's
/// <c>Idempotency-Key</c> header is scoped to its user, so two users' keys never meet; a resumable upload's key is its
/// upload id. A plugin with <c>CAPABILITY_IDEMPOTENT_STORES</c> answers a store whose key it already committed with the
/// committed file, so a retry after a lost answer (a 503, a host restart) never stores a second copy.
/// </summary>
public static class IdempotencyKeys
{
    /// <summary>The request header a client names its upload with.</summary>
    public const string Header = "Idempotency-Key";

    /// <summary>The longest key accepted, in characters.</summary>
    public const int MaxLength = 255;

    /// <summary>The storage key of a PUT, or empty when the client sent no <see cref="Header"/>.</summary>
    /// <param name="userId">The signed-in user's id.</param>
    /// <param name="header">The header's value, if sent.</param>
    /// <returns>The key for the storage plugin.</returns>
    /// <exception cref="PluginException">The header is empty, too long or not printable ASCII (answered with 400).</exception>
    public static string ForPut(string userId, string? header)
    {
        if (header is null)
        {
            return string.Empty;
        }

        if (header.Length is 0 or > MaxLength || header.Any(c => c is < ' ' or > '~'))
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, $"The {Header} header must be 1 to {MaxLength} printable ASCII characters, such as a UUID; send a new key for each new file and the same key when retrying.") { ErrorSource = PluginErrorSource.Host };
        }

        // Hashed, so the plugin stores neither the user's id nor the client's key, and keys have one length.
        return "put:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(userId + "\n" + header)));
    }

    /// <summary>The storage key of a resumable upload's complete: one file per upload id, however often complete is retried.</summary>
    /// <param name="uploadId">The upload's id.</param>
    /// <returns>The key for the storage plugin.</returns>
    public static string ForUpload(string uploadId) => "upload:" + uploadId;
}
