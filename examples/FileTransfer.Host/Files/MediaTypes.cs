using GrpcPlugins;
using Microsoft.Net.Http.Headers;

namespace FileTransfer.Host.Files;

/// <summary>
/// The media types files are stored with. Each is sent back as a download's Content-Type header, so one that cannot be
/// a header value (CR, LF, NUL, other control or non-ASCII characters) is refused at upload, and one already stored is
/// served as <c>application/octet-stream</c>.
/// </summary>
public static class MediaTypes
{
    /// <summary>The type served when none is stored or the stored one cannot be sent.</summary>
    public const string Fallback = "application/octet-stream";

    /// <summary>The longest media type accepted, in characters.</summary>
    public const int MaxLength = 255;

    /// <summary>Whether a media type can be sent as a Content-Type header: printable ASCII, a type and subtype, at most <see cref="MaxLength"/> characters.</summary>
    /// <param name="mimeType">The media type.</param>
    /// <returns>True when it can be sent as it is.</returns>
    public static bool IsSendable(string? mimeType) =>
        !string.IsNullOrEmpty(mimeType)
        && mimeType.Length <= MaxLength
        && !mimeType.Any(c => c is < ' ' or > '~')
        && MediaTypeHeaderValue.TryParse(mimeType, out _);

    /// <summary>Checks a media type a client sent.</summary>
    /// <param name="mimeType">The media type.</param>
    /// <returns>The media type, unchanged.</returns>
    /// <exception cref="PluginException">It cannot be sent back as a header (<see cref="PluginErrorCode.InvalidArgument"/>, answered with 400).</exception>
    public static string Validate(string mimeType) => IsSendable(mimeType)
        ? mimeType
        : throw new PluginException(PluginErrorCode.InvalidArgument, $"The media type is not one a download could carry: it must be printable ASCII of the form type/subtype, at most {MaxLength} characters, such as 'application/pdf' (no CR, LF, NUL or non-ASCII characters).") { ErrorSource = PluginErrorSource.Host };

    /// <summary>The Content-Type to serve a stored file with.</summary>
    /// <param name="stored">The stored media type.</param>
    /// <returns>The stored type when it can be sent, else <see cref="Fallback"/>.</returns>
    public static string ForDownload(string? stored) => IsSendable(stored) ? stored! : Fallback;
}
