using System.Text;
using GrpcPlugins;

namespace FileSystemStorage.Internal;

/// <summary>Where a listing stopped: the last name and id, opaque to callers.</summary>
internal readonly record struct PageToken(string Name, string Id)
{
    public string Encode() => Convert.ToBase64String(Encoding.UTF8.GetBytes(Name + "\n" + Id));

    public static PageToken? Decode(string token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            var split = text.LastIndexOf('\n');
            if (split >= 0 && ObjectIds.IsWellFormed(text[(split + 1)..]))
            {
                return new PageToken(text[..split], text[(split + 1)..]);
            }
        }
        catch (FormatException)
        {
        }

        throw new PluginException(PluginErrorCode.InvalidArgument, "The page token is not one this plugin gave out; pass next_page_token from the previous List answer unchanged.");
    }
}
