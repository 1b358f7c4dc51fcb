using GrpcPlugins;
using GrpcPlugins.Plugin.V1;

namespace FileSystemStorage.Internal;

/// <summary>
/// The storage service rules FileSystemStorage and PostgresStorage share (PostgresStorage links this file), so that
/// both answer a missing object alike.
/// </summary>
internal static class StorageRules
{
    /// <summary>The error for an id that names no stored object (also a malformed id: ids are opaque).</summary>
    public static PluginException NotFound(string id) =>
        new(PluginErrorCode.NotFound, $"No stored object has id '{id}'.") { Metadata = new Dictionary<string, string> { ["id"] = id } };
}
