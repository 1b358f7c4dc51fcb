using System.Security.Cryptography;
using GrpcPlugins.TestSupport;

namespace GrpcPlugins.Conformance.Tests;

/// <summary>Paths of the repository's built programs, and the Go plugin built on first use.</summary>
internal static class Repo
{
    private static readonly Lazy<Task<string>> GoPlugin = new(BuildGoPluginAsync);

    public static string Root { get; } = FindRoot();

    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string Bin => Path.Combine("bin", Configuration, "net10.0");

    public static string TestPlugin => Path.Combine(Root, "tests", "GrpcPlugins.TestPlugin", Bin, "GrpcPlugins.TestPlugin");

    public static string Cli => Path.Combine(Root, "src", "GrpcPlugins.Cli", Bin, "grpcplugins");

    public static Task<string> GoPluginAsync() => GoPlugin.Value.WaitAsync(TimeSpan.FromMinutes(10));

    /// <summary>
    /// Runs the build.sh of every example plugin a conformance line names (the Go and Python plugins generate code and
    /// compile on first use), so that the build does not eat into the plugin's start timeout.
    /// </summary>
    public static async Task BuildExamplesAsync(string arguments)
    {
        var examples = Path.Combine(Root, "examples", "plugins");
        foreach (var folder in Directory.GetDirectories(examples).Where(d => arguments.Contains("{repo}/examples/plugins/" + Path.GetFileName(d) + "/", StringComparison.Ordinal)))
        {
            var script = Path.Combine(folder, "build.sh");
            if (File.Exists(script))
            {
                var (code, stdout, stderr) = await RunAsync(script, [], TimeSpan.FromMinutes(10));
                Assert.True(code == 0, $"{script} failed ({code}): {stdout} {stderr}");
            }
        }
    }

    /// <summary>Runs a program to its end (bounded), returning its exit code and output.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, IEnumerable<string> arguments, TimeSpan timeout) =>
        ProcessRunner.RunAsync(file, arguments, timeout);

    private static async Task<string> BuildGoPluginAsync()
    {
        var sources = Path.Combine(Root, "tests", "goplugin");
        var inputs = Directory.GetFiles(sources, "*", SearchOption.AllDirectories)
            .Concat([
                Path.Combine(Root, "proto", "grpcplugins", "auth", "v1", "auth.proto"),
                Path.Combine(Root, "proto", "grpcplugins", "storage", "v1", "storage.proto"),
                Path.Combine(Root, "proto", "grpcplugins", "host", "v1", "host_callbacks.proto"),
                Path.Combine(Root, "examples", "plugins", "debian-go.sh"),
            ])
            .Order(StringComparer.Ordinal)
            .SelectMany(File.ReadAllBytes)
            .ToArray();
        var output = Path.Combine(Path.GetTempPath(), "grpcplugins-goplugin-" + Convert.ToHexStringLower(SHA256.HashData(inputs))[..16]);
        var plugin = Path.Combine(output, "goplugin-plugin");
        if (!File.Exists(plugin))
        {
            var (code, stdout, stderr) = await RunAsync("bash", [Path.Combine(sources, "build.sh"), output], TimeSpan.FromMinutes(10));
            Assert.True(code == 0, $"tests/goplugin/build.sh failed ({code}): {stdout} {stderr}");
        }

        return plugin;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GrpcPlugins.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("GrpcPlugins.sln not found above " + AppContext.BaseDirectory);
    }
}
