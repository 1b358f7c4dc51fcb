using System.Text.Json.Nodes;

namespace FileTransfer.Host.Api;

/// <summary>The list of plugins, with the name of the node that answered.</summary>
/// <param name="Node">The node's name.</param>
/// <param name="Plugins">The plugins.</param>
public sealed record PluginListDto(string Node, IReadOnlyList<PluginDto> Plugins);

/// <summary>One plugin, in the shape of EMQX's plugin API (seed 003): metadata, status, and status per node.</summary>
/// <param name="Name">The plugin's name.</param>
/// <param name="Type">auth, storage, protocol or monitor.</param>
/// <param name="Source">builtin or package.</param>
/// <param name="Priority">Its place among plugins of its type; lower first.</param>
/// <param name="Status">disabled, stopped, starting, running or crashed, on this node.</param>
/// <param name="Pid">Its process id while it runs or starts.</param>
/// <param name="RestartCount">Starts after the first since the host started: an operator's and the supervisor's after a crash.</param>
/// <param name="LastError">Why the plugin last went down or failed to start, with its last stderr lines, if it has.</param>
/// <param name="Metadata">What it is.</param>
/// <param name="Config">The saved configuration of a package plugin.</param>
/// <param name="ConfigSchema">The package's config schema.</param>
/// <param name="NodeStatus">The status on each node; one node for now.</param>
public sealed record PluginDto(
    string Name,
    string Type,
    string Source,
    int Priority,
    string Status,
    int? Pid,
    int RestartCount,
    string? LastError,
    PluginMetadataDto Metadata,
    JsonObject? Config,
    JsonObject? ConfigSchema,
    IReadOnlyList<NodeStatusDto> NodeStatus);

/// <summary>What a plugin is: from its package's manifest, and from the plugin itself while it runs.</summary>
/// <param name="Name">The name.</param>
/// <param name="Version">The version.</param>
/// <param name="Description">What it does.</param>
/// <param name="Authors">The authors.</param>
/// <param name="Builder">Who built the package.</param>
/// <param name="SourceUrl">Where its source is.</param>
/// <param name="BuildTime">When the package was built.</param>
/// <param name="Types">Its types.</param>
/// <param name="ApiVersions">The plugin API versions it speaks.</param>
/// <param name="HostVersions">The host versions the package supports.</param>
/// <param name="Capabilities">The optional features it reported.</param>
/// <param name="SignedBy">The id of the trusted key that signed the package.</param>
public sealed record PluginMetadataDto(
    string Name,
    string Version,
    string Description,
    IReadOnlyList<string>? Authors,
    BuilderDto? Builder,
    string? SourceUrl,
    DateTimeOffset? BuildTime,
    IReadOnlyList<string> Types,
    IReadOnlyList<string> ApiVersions,
    string? HostVersions,
    IReadOnlyList<string> Capabilities,
    string? SignedBy);

/// <summary>Who built a package.</summary>
/// <param name="Name">The builder's name.</param>
/// <param name="Contact">How to reach them.</param>
public sealed record BuilderDto(string Name, string Contact);

/// <summary>A plugin's status on one node, as EMQX's <c>node_status</c>.</summary>
/// <param name="Node">The node's name.</param>
/// <param name="Status">disabled, stopped, starting, running or crashed.</param>
/// <param name="Pid">Its process id on that node while it runs or starts.</param>
/// <param name="RestartCount">Starts after the first on that node.</param>
/// <param name="LastError">The last start failure or exit on that node.</param>
public sealed record NodeStatusDto(string Node, string Status, int? Pid, int RestartCount, string? LastError);

/// <summary>The body of <c>PUT /v1/plugins/{name}</c>.</summary>
/// <param name="Status">running, stopped or disabled.</param>
public sealed record PluginStatusRequest(string? Status);
