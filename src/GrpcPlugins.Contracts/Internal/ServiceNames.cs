using System.Text.RegularExpressions;
using GrpcPlugins.Plugin.V1;

namespace GrpcPlugins.Internal;

/// <summary>
/// Fully-qualified gRPC service names as plugin metadata lists them: the one each built-in plugin type implies, and
/// the check that a configured name is well formed. One place, so that host and SDK agree.
/// </summary>
internal static partial class ServiceNames
{
    /// <summary>The service a built-in plugin type serves; null for Unspecified, Custom and unknown types.</summary>
    public static string? Of(PluginType type) => type switch
    {
        PluginType.Auth => Auth.V1.AuthService.Descriptor.FullName,
        PluginType.Storage => Storage.V1.StorageService.Descriptor.FullName,
        PluginType.Protocol => Protocol.V1.ProtocolService.Descriptor.FullName,
        PluginType.Monitor => Monitor.V1.MonitorService.Descriptor.FullName,
        _ => null,
    };

    /// <summary>True when <paramref name="name"/> looks like a fully-qualified service name: dotted identifiers, no slash.</summary>
    public static bool IsWellFormed(string? name) => name is not null && WellFormed().IsMatch(name);

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex WellFormed();
}
