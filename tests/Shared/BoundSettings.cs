using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.TestSupport;

/// <summary>
/// The settings of a plugin service built directly in a test rather than served by the SDK: <see cref="Bind"/> binds an
/// Init map as the SDK's <c>AddSettings&lt;T&gt;().Bind(p.Settings)</c> does (keys by <c>ConfigurationKeyName</c>), but
/// does not validate it: the SDK's checks are tested through PluginTestServer. Shared by linking.
/// </summary>
/// <typeparam name="T">The plugin's settings class.</typeparam>
internal sealed class BoundSettings<T> : IOptionsMonitor<T>
    where T : class, new()
{
    public T CurrentValue { get; private set; } = new();

    /// <summary>Settings bound from one Init map.</summary>
    public static BoundSettings<T> Of(IEnumerable<KeyValuePair<string, string>> config)
    {
        var settings = new BoundSettings<T>();
        settings.Bind(config);
        return settings;
    }

    /// <summary>Binds the map of the Init that is about to be sent, as the SDK does before the service's InitAsync.</summary>
    public void Bind(IEnumerable<KeyValuePair<string, string>> config) =>
        CurrentValue = new ConfigurationBuilder()
            .AddInMemoryCollection(config.Select(p => KeyValuePair.Create(p.Key, (string?)p.Value)))
            .Build()
            .Get<T>() ?? new();

    public T Get(string? name) => CurrentValue;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
