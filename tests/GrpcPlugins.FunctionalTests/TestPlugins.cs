using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.FunctionalTests;

/// <summary>Finds the built plugin programs of this repository and makes options that launch them.</summary>
internal static class TestPlugins
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>The repository's root: the folder that holds GrpcPlugins.sln.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>"Debug" or "Release", the same as this test assembly's.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string Dll(string folder, string project) =>
        Path.Combine(RepoRoot, folder, project, "bin", Configuration, "net10.0", project + ".dll");

    public static PluginOptions TestPlugin(string mode, PluginType type, string? name = null) => new()
    {
        Name = name ?? $"test-{mode}",
        Type = type,
        Command = Dll("tests", "GrpcPlugins.TestPlugin"),
        Args = [mode],
        StartTimeout = TimeSpan.FromMinutes(1),
    };

    /// <summary>Builds an application that hosts test plugins through AddGrpcPlugins, configured by name.</summary>
    public static IHost BuildHost(params (string Name, string Type, string Mode)[] plugins)
    {
        var dll = Dll("tests", "GrpcPlugins.TestPlugin");
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(plugins.SelectMany(p => new Dictionary<string, string?>
        {
            [$"Plugins:{p.Name}:Type"] = p.Type,
            [$"Plugins:{p.Name}:Command"] = dll,
            [$"Plugins:{p.Name}:Args:0"] = p.Mode,
        }));
        builder.Services.AddGrpcPlugins(builder.Configuration);
        return builder.Build();
    }

    /// <summary>Builds and starts an application that hosts test plugins.</summary>
    public static async Task<IHost> StartHostAsync(params (string Name, string Type, string Mode)[] plugins)
    {
        var app = BuildHost(plugins);
        await app.StartAsync().WaitAsync(Timeout);
        return app;
    }

    public static Task<PluginClient> StartAsync(PluginOptions options, ILoggerFactory? logs = null) =>
        PluginClient.StartAsync(options, loggerFactory: logs).WaitAsync(Timeout);

    /// <summary>Kills the plugin's current process (SIGKILL, as a crash) and waits until it has exited.</summary>
    public static async Task KillAsync(PluginClient plugin)
    {
        using var process = System.Diagnostics.Process.GetProcessById(plugin.ProcessId);
        process.Kill();
        await process.WaitForExitAsync().WaitAsync(Timeout);
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GrpcPlugins.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Could not find GrpcPlugins.sln above " + AppContext.BaseDirectory);
    }
}
