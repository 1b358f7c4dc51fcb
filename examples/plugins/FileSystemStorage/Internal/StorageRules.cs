using System.Globalization;
using GrpcPlugins;
using GrpcPlugins.Plugin.V1;

namespace FileSystemStorage.Internal;

/// <summary>
/// The storage service rules FileSystemStorage and PostgresStorage share (PostgresStorage links this file), so that
/// both answer a missing object and a bad number setting alike.
/// </summary>
internal static class StorageRules
{
    /// <summary>The error for an id that names no stored object (also a malformed id: ids are opaque).</summary>
    public static PluginException NotFound(string id) =>
        new(PluginErrorCode.NotFound, $"No stored object has id '{id}'.") { Metadata = new Dictionary<string, string> { ["id"] = id } };

    /// <summary>A whole number of zero or more from the Init config, <paramref name="fallback"/> when unset.</summary>
    public static long Number(IReadOnlyDictionary<string, string> config, string key, long fallback)
    {
        if (!config.TryGetValue(key, out var text) || string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new PluginException(PluginErrorCode.InvalidArgument, $"'{key}' must be a whole number of zero or more, not '{text}'.");
    }
}
