using Grpc.Core;
using GrpcPlugins;
using GrpcPlugins.Testing;

namespace PostgresStorage.Tests;

/// <summary>
/// PostgresStorage's settings (<see cref="PostgresStorageSettings"/>) bound and validated by the SDK at Init, sent
/// through real gRPC as a host sends them (<see cref="PluginTestServer"/>, configured as Program.cs configures the
/// plugin). A refused setting fails Init before any connection is tried, so no database is needed.
/// </summary>
public sealed class SettingsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const string AnyDatabase = "Host=127.0.0.1;Port=1;Database=files;Username=ft";

    [Theory]
    [InlineData("chunk_bytes", "512", "The 'chunk_bytes' setting is '512', which is not valid: The field chunk_bytes must be between 1024 and 67108864 (64 MiB).")]
    [InlineData("chunk_bytes", "256k", "The 'chunk_bytes' setting is '256k', which is not a whole number.")]
    [InlineData("max_object_bytes", "-1", "The 'max_object_bytes' setting is '-1', which is not valid: The field max_object_bytes must be 0 (no limit) or a number of bytes.")]
    [InlineData("list_default_limit", "0", "The 'list_default_limit' setting is '0', which is not valid: The field list_default_limit must be between 1 and 1000.")]
    public async Task Init_BadNumberSetting_InvalidArgumentNamingKeyAndValue(string key, string value, string expected)
    {
        var error = await InitErrorAsync(new Dictionary<string, string> { ["connectionString"] = AnyDatabase, [key] = value });

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_NoConnectionString_InvalidArgumentSayingWhatToSet()
    {
        var error = await InitErrorAsync(new Dictionary<string, string> { ["chunk_bytes"] = "4096" });

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains("The 'connectionString' setting is missing: The connectionString field is required: set it to the PostgreSQL database", error.Message, StringComparison.Ordinal);
    }

    private static async Task<PluginException> InitErrorAsync(Dictionary<string, string> config)
    {
        await using var plugin = await PluginTestServer.StartAsync(PostgresStoragePlugin.Configure, new PluginTestServerOptions { Initialize = false }).WaitAsync(Timeout);
        var rpc = await Assert.ThrowsAsync<RpcException>(() => plugin.InitAsync(config).WaitAsync(Timeout));
        return PluginErrors.FromRpcException(rpc);
    }
}
