using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;

namespace GrpcPlugins.FunctionalTests;

/// <summary>
/// The Go programs of tests/goplugin (a go-plugin plugin and a go-plugin host), built once by tests/goplugin/build.sh
/// from Debian's Go packages into a temp folder named after their sources, so later runs reuse them.
/// </summary>
internal static class GoPrograms
{
    /// <summary>The handshake of the Go programs' application, as a go-plugin application chooses its own.</summary>
    public const string CookieKey = "GRPCPLUGINS_GO_TEST_COOKIE";

    /// <summary>The value of <see cref="CookieKey"/>.</summary>
    public const string CookieValue = "go-plugin-test";

    private static readonly Lazy<Task<string>> Built = new(BuildAsync);

    /// <summary>The go-plugin plugin (auth and storage).</summary>
    public static async Task<string> PluginAsync() => Path.Combine(await Built.Value.WaitAsync(TimeSpan.FromMinutes(10)), "goplugin-plugin");

    /// <summary>The go-plugin host that runs a GrpcPlugins plugin, signs in, and calls Kill().</summary>
    public static async Task<string> HostAsync() => Path.Combine(await Built.Value.WaitAsync(TimeSpan.FromMinutes(10)), "goplugin-host");

    /// <summary>Options that run the Go plugin in go-plugin mode with its application's handshake.</summary>
    public static async Task<PluginOptions> PluginOptionsAsync(PluginType type) => new()
    {
        Name = $"go-{type.ToString().ToLowerInvariant()}",
        Type = type,
        Command = await PluginAsync(),
        GoPlugin = true,
        MagicCookieKey = CookieKey,
        MagicCookieValue = CookieValue,
        ProtocolVersions = [1],
        StartTimeout = TimeSpan.FromMinutes(1),
    };

    private static async Task<string> BuildAsync()
    {
        var sources = Path.Combine(TestPlugins.RepoRoot, "tests", "goplugin");
        var inputs = Directory.GetFiles(sources, "*", SearchOption.AllDirectories)
            .Concat([
                Path.Combine(TestPlugins.RepoRoot, "proto", "grpcplugins", "auth", "v1", "auth.proto"),
                Path.Combine(TestPlugins.RepoRoot, "proto", "grpcplugins", "storage", "v1", "storage.proto"),
                Path.Combine(TestPlugins.RepoRoot, "proto", "grpcplugins", "host", "v1", "host_callbacks.proto"),
                Path.Combine(TestPlugins.RepoRoot, "examples", "plugins", "debian-go.sh"),
            ])
            .Order(StringComparer.Ordinal)
            .SelectMany(File.ReadAllBytes)
            .ToArray();
        var output = Path.Combine(Path.GetTempPath(), "grpcplugins-goplugin-" + Convert.ToHexStringLower(SHA256.HashData(inputs))[..16]);
        if (File.Exists(Path.Combine(output, "goplugin-plugin")) && File.Exists(Path.Combine(output, "goplugin-host")))
        {
            return output;
        }

        var build = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        build.ArgumentList.Add(Path.Combine(sources, "build.sh"));
        build.ArgumentList.Add(output);
        using var process = Process.Start(build)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(new StringBuilder($"tests/goplugin/build.sh failed with exit code {process.ExitCode}:")
                .AppendLine().Append(await stdout).Append(await stderr).ToString());
        }

        return output;
    }
}
