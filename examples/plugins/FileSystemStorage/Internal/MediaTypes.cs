using GrpcPlugins;

namespace FileSystemStorage.Internal;

/// <summary>
/// Checks the media types stored with objects. A host sends the stored value back as a Content-Type header, so a value
/// with CR, LF, NUL or anything outside printable ASCII would make every download of the object fail: it is refused here.
/// </summary>
internal static class MediaTypes
{
    public const int MaxLength = 255;

    public static void Validate(string mimeType)
    {
        if (mimeType.Length > MaxLength)
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, $"The media type is longer than {MaxLength} characters; send a shorter one, such as 'application/pdf'.");
        }

        if (mimeType.Any(c => c is < ' ' or > '~'))
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, "The media type contains control or non-ASCII characters (CR, LF, NUL and the like); send a plain one, such as 'application/pdf'.");
        }
    }
}
