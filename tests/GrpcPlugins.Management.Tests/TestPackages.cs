using System.Text.Json.Nodes;
using GrpcPlugins.Packaging;

namespace GrpcPlugins.Management.Tests;

/// <summary>Real, signed plugin packages of the built test plugin, and the paths of what this repository builds.</summary>
internal static class TestPackages
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string TestPluginDll => Path.Combine(RepoRoot, "tests", "GrpcPlugins.TestPlugin", "bin", Configuration, "net10.0", "GrpcPlugins.TestPlugin.dll");

    public static string ToolDll => Path.Combine(RepoRoot, "src", "GrpcPlugins.Cli", "bin", Configuration, "net10.0", "grpcplugins.dll");

    /// <summary>Makes a signing key in <paramref name="work"/>; returns the private key and the public key's file, for the host to trust.</summary>
    public static (string PrivateKey, string PublicKeyFile) Key(string work)
    {
        var (privateKey, publicKey) = PackageSigner.CreateKey();
        var file = Path.Combine(work, "builder.pub.pem");
        File.WriteAllText(file, publicKey);
        return (privateKey, file);
    }

    /// <summary>
    /// Packs the built test plugin as the auth plugin "echo-auth": it accepts the token named by its "token" setting
    /// (default "tok-alice"), echoes its configuration in Authorize's reason, and refuses a configuration with "reject".
    /// </summary>
    /// <param name="work">The folder to pack in.</param>
    /// <param name="privateKey">The signing key.</param>
    /// <param name="version">The package's version.</param>
    /// <param name="extra">More manifest fields, such as <c>resources</c> and <c>permissions</c>.</param>
    /// <param name="name">The package's name.</param>
    public static string EchoAuth(string work, string privateKey, string version = "1.0.0", JsonObject? extra = null, string name = "echo-auth") =>
        Pack(work, privateKey, name, version, new JsonArray("auth"), null, new JsonArray("auth"), extra);

    /// <summary>
    /// Packs the built test plugin as a plugin of the type custom: its "echo" mode serves only the application-defined
    /// <c>grpcplugins.test.echo.v1.EchoService</c>; <paramref name="services"/> is what its manifest claims it serves.
    /// </summary>
    public static string EchoService(string work, string privateKey, params string[] services) =>
        Pack(work, privateKey, "echo-service", "1.0.0", new JsonArray("custom"), new JsonArray([.. services.Select(s => (JsonNode)s)]), new JsonArray("echo"));

    private static string Pack(string work, string privateKey, string name, string version, JsonArray types, JsonArray? services, JsonArray args, JsonObject? extra = null)
    {
        var source = Path.Combine(work, name + "-" + version);
        foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(TestPluginDll)!, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(source, Path.GetRelativePath(Path.GetDirectoryName(TestPluginDll)!, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        var manifest = new JsonObject
        {
            ["name"] = name,
            ["version"] = version,
            ["description"] = "Accepts one configured token",
            ["authors"] = new JsonArray("GrpcPlugins tests"),
            ["builder"] = new JsonObject { ["name"] = "GrpcPlugins tests", ["contact"] = "tests@example.com" },
            ["sourceUrl"] = "https://example.com/echo-auth",
            ["types"] = types,
            ["entrypoint"] = new JsonObject { ["command"] = "GrpcPlugins.TestPlugin.dll", ["args"] = args },
            ["apiVersions"] = new JsonArray("v1"),
            ["hostVersions"] = ">= 1.0, < 2",
            ["priority"] = 10,
            ["configSchema"] = JsonNode.Parse("""
                {"type": "object", "properties": {
                  "token": {"type": "string", "default": "tok-alice"},
                  "reject": {"type": "string"}}}
                """),
        };
        if (services is not null)
        {
            manifest["services"] = services;
        }

        foreach (var (field, value) in extra ?? [])
        {
            manifest[field] = value?.DeepClone();
        }

        File.WriteAllText(Path.Combine(source, "plugin.json"), manifest.ToJsonString());
        var package = Path.Combine(work, $"{name}-{version}.zip");
        PackageBuilder.Pack(source, package, privateKey);
        return package;
    }

    public static bool ProcessIsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Waits until a process has exited: a stopped plugin's process may take a moment to be reaped.</summary>
    public static async Task<bool> ExitedAsync(int pid)
    {
        using var deadline = new CancellationTokenSource(Timeout);
        while (ProcessIsAlive(pid))
        {
            await Task.Delay(20, deadline.Token);
        }

        return true;
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GrpcPlugins.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"GrpcPlugins.sln not found above {AppContext.BaseDirectory}.");
    }
}
