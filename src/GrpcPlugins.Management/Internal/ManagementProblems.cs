using System.Text.Json;
using GrpcPlugins;

namespace GrpcPlugins.Management.Internal;

/// <summary>
/// The management API's JSON and its refusals; the error answers themselves are <see cref="PluginProblems"/>, the shape
/// the file-transfer host's own routes answer with too.
/// </summary>
internal static class ManagementProblems
{
    /// <summary>The JSON of the management answers: camelCase, as ASP.NET Core's web defaults, whatever the host configured.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>An invalid-argument error (400), for a request this host cannot use.</summary>
    public static PluginException BadRequest(string message) =>
        PluginException.FromHost(PluginErrorCode.InvalidArgument, message);
}
