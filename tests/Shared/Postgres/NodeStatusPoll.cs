using System.Text.Json;

namespace GrpcPlugins.TestSupport;

/// <summary>
/// Waits, bounded, until a plugin's <c>nodeStatus</c> (cluster mode of GrpcPlugins.Management) satisfies a condition:
/// the one helper of the cluster tests of GrpcPlugins.Management.Tests and FileTransfer.FunctionalTests.
/// </summary>
public static class NodeStatusPoll
{
    /// <summary>Reads the plugin through <paramref name="get"/> every 250 ms until the condition holds on its nodes.</summary>
    /// <param name="get">Reads <c>GET /v1/plugins/{name}</c> from one node (each call bounded by the caller).</param>
    /// <param name="plugin">The plugin's name, for the failure message.</param>
    /// <param name="condition">What must hold of the status per node name.</param>
    /// <param name="bound">How long to wait before the test fails.</param>
    /// <returns>The status per node when the condition held.</returns>
    public static async Task<Dictionary<string, NodeState>> UntilAsync(Func<Task<JsonElement>> get, string plugin, Func<Dictionary<string, NodeState>, bool> condition, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        while (true)
        {
            var listed = await get().WaitAsync(bound);
            var states = Parse(listed);
            if (condition(states))
            {
                return states;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{plugin} did not reach the expected state on every node within {bound}: {listed}");
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
    }

    /// <summary>The status per node name of one plugin's answer.</summary>
    /// <param name="plugin">The answer of <c>GET /v1/plugins/{name}</c>.</param>
    /// <returns>The status per node.</returns>
    public static Dictionary<string, NodeState> Parse(JsonElement plugin) =>
        plugin.GetProperty("nodeStatus").EnumerateArray().ToDictionary(
            n => n.GetProperty("node").GetString()!,
            n => new NodeState(
                n.GetProperty("status").GetString()!,
                n.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null,
                n.GetProperty("pid").ValueKind == JsonValueKind.Number ? n.GetProperty("pid").GetInt32() : null,
                n.GetProperty("lastError").ValueKind == JsonValueKind.String ? n.GetProperty("lastError").GetString() : null));
}
