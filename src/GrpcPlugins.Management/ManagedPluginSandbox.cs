using GrpcPlugins.Hosting;
using GrpcPlugins.Packaging;

namespace GrpcPlugins.Management;

/// <summary>
/// A plugin's sandbox as the admin sees it: what its package declares, and how this machine enforces it while it runs.
/// </summary>
/// <param name="Resources">What its <c>plugin.json</c> declares of resources; null for a built-in plugin.</param>
/// <param name="Permissions">What its <c>plugin.json</c> declares of permissions; null for a built-in plugin.</param>
/// <param name="Enforced">How its running process is confined, rule by rule, and what is not enforced; null while it is not running.</param>
public sealed record ManagedPluginSandbox(PluginResources? Resources, PluginPermissions? Permissions, SandboxReport? Enforced);
