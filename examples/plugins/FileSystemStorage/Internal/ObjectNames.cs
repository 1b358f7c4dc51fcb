using System.Text;
using GrpcPlugins;

namespace FileSystemStorage.Internal;

/// <summary>Checks the names users give their files. Names are only metadata here, but bad ones are refused all the same.</summary>
internal static class ObjectNames
{
    public const int MaxBytes = 255;

    public static void Validate(string name)
    {
        var problem = name switch
        {
            null or "" => "The name is empty; give the file a name.",
            "." or ".." => $"The name '{name}' is reserved; choose another.",
            _ when Encoding.UTF8.GetByteCount(name) > MaxBytes => $"The name is longer than {MaxBytes} bytes; shorten it.",
            _ when name.IndexOfAny(['/', '\\']) >= 0 => $"The name '{name}' contains a path separator; names may not contain '/' or '\\'.",
            _ when name.Any(char.IsControl) => "The name contains control characters; use printable characters only.",
            _ => null,
        };
        if (problem is not null)
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, problem);
        }
    }
}
