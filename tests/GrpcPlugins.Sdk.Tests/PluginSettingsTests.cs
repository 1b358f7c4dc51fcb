using System.ComponentModel.DataAnnotations;
using Grpc.Core;
using GrpcPlugins.Auth.V1;
using GrpcPlugins.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.Sdk.Tests;

/// <summary>
/// <see cref="PluginBuilder.AddSettings{TSettings}"/>: the host's Init config bound to a settings class and validated
/// before the plugin's InitAsync runs, an invalid value refused with INVALID_ARGUMENT naming the key, the value and
/// what is expected. Init goes through real gRPC (<see cref="PluginTestServer"/>), as a host sends it.
/// </summary>
public sealed class PluginSettingsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Init_ValidConfig_ServiceSeesTheBoundSettings()
    {
        await using var plugin = await StartAsync();

        await plugin.InitAsync(new Dictionary<string, string> { ["root"] = "/srv/files", ["chunk_size"] = "512", ["verbose"] = "true", ["limits:max_files"] = "7" }).WaitAsync(Timeout);
        var seen = plugin.Services.GetRequiredService<SettingsProbe>().Seen;

        Assert.NotNull(seen);
        Assert.Equal("/srv/files", seen.Root);
        Assert.Equal(512, seen.ChunkSize);
        Assert.True(seen.Verbose);
        Assert.Equal(7, seen.Limits.MaxFiles);
        Assert.Equal(TimeSpan.FromSeconds(30), seen.Timeout);
    }

    [Fact]
    public async Task Init_MissingRequiredKey_InvalidArgumentNamesTheKey()
    {
        await using var plugin = await StartAsync();

        var error = await InitErrorAsync(plugin, new Dictionary<string, string> { ["chunk_size"] = "512" });

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains("The 'root' setting is missing: The root field is required.", error.Message, StringComparison.Ordinal);
        Assert.Null(plugin.Services.GetRequiredService<SettingsProbe>().Seen);
    }

    [Fact]
    public async Task Init_WrongType_InvalidArgumentNamesKeyValueAndExpectedType()
    {
        await using var plugin = await StartAsync();

        var error = await InitErrorAsync(plugin, new Dictionary<string, string> { ["root"] = "/srv", ["chunk_size"] = "lots" });

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains("The 'chunk_size' setting is 'lots', which is not a whole number.", error.Message, StringComparison.Ordinal);
        Assert.Equal("chunk_size", error.Metadata["setting"]);
        Assert.Equal("lots", error.Metadata["value"]);
    }

    [Fact]
    public async Task Init_OutOfRange_InvalidArgumentNamesKeyValueAndRange()
    {
        await using var plugin = await StartAsync();

        var error = await InitErrorAsync(plugin, new Dictionary<string, string> { ["root"] = "/srv", ["chunk_size"] = "0" });

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains("The 'chunk_size' setting is '0', which is not valid: The field chunk_size must be between 1 and 1024.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_InvalidAfterValid_RefusedAndThePreviousSettingsStay()
    {
        await using var plugin = await StartAsync();
        await plugin.InitAsync(new Dictionary<string, string> { ["root"] = "/first", ["chunk_size"] = "8" }).WaitAsync(Timeout);

        var error = await InitErrorAsync(plugin, new Dictionary<string, string> { ["root"] = "/second", ["chunk_size"] = "4096" });
        var current = plugin.Services.GetRequiredService<IOptionsMonitor<ProbeSettings>>().CurrentValue;

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Equal("/first", current.Root);
        Assert.Equal(8, current.ChunkSize);
        Assert.Equal("/first", plugin.Services.GetRequiredService<SettingsProbe>().Seen?.Root);
    }

    private static Task<PluginTestServer> StartAsync() =>
        PluginTestServer.StartAsync(
            p =>
            {
                p.AddAuth<SettingsProbe>();
                p.AddSettings<ProbeSettings>().Bind(p.Settings);
            },
            new PluginTestServerOptions { Initialize = false }).WaitAsync(Timeout);

    private static async Task<PluginException> InitErrorAsync(PluginTestServer plugin, Dictionary<string, string> config)
    {
        var rpc = await Assert.ThrowsAsync<RpcException>(() => plugin.InitAsync(config).WaitAsync(Timeout));
        return PluginErrors.FromRpcException(rpc);
    }

    /// <summary>A plugin's settings, as an author writes them.</summary>
    public sealed class ProbeSettings
    {
        [ConfigurationKeyName("root")]
        [Required]
        public string? Root { get; set; }

        [ConfigurationKeyName("chunk_size")]
        [Range(1, 1024)]
        public int ChunkSize { get; set; } = 64;

        [ConfigurationKeyName("verbose")]
        public bool Verbose { get; set; }

        [ConfigurationKeyName("timeout")]
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

        [ConfigurationKeyName("limits")]
        public ProbeLimits Limits { get; set; } = new();
    }

    /// <summary>A nested section (keys <c>limits:*</c>).</summary>
    public sealed class ProbeLimits
    {
        [ConfigurationKeyName("max_files")]
        public int MaxFiles { get; set; }
    }

    /// <summary>A service that keeps the settings its InitAsync read.</summary>
    public sealed class SettingsProbe(IOptionsMonitor<ProbeSettings> settings) : AuthService.AuthServiceBase, IPluginLifecycle
    {
        public ProbeSettings? Seen { get; private set; }

        public Task InitAsync(IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
        {
            Seen = settings.CurrentValue;
            return Task.CompletedTask;
        }
    }
}
