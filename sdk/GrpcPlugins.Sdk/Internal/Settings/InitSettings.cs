using System.Globalization;
using System.Text.RegularExpressions;
using GrpcPlugins.Plugin.V1;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.Sdk.Internal.Settings;

/// <summary>
/// The config map of the host's last Init as an <see cref="IConfiguration"/> (keys with <c>:</c> nest, as in
/// appsettings), and the checks that bind and validate each settings type added by <see cref="PluginBuilder.AddSettings{TSettings}"/>
/// when an Init brings a new map. An Init whose map does not bind or validate is refused and the previous map stays.
/// </summary>
internal sealed partial class InitSettings
{
    private readonly Provider _provider = new();
    private readonly List<Action<IServiceProvider>> _checks = [];
    private readonly object _gate = new();

    public InitSettings()
    {
        Configuration = new ConfigurationRoot([_provider]);
    }

    /// <summary>The last Init's config map; reloaded (its change token fires) at each Init.</summary>
    public IConfiguration Configuration { get; }

    /// <summary>The raw value the last Init (or the one being checked) gave for a key, or null.</summary>
    public string? Raw(string key) => Configuration[key];

    /// <summary>Adds the check of one settings type: building its options binds and validates them.</summary>
    public void AddCheck<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TSettings>()
        where TSettings : class =>
        _checks.Add(services => services.GetRequiredService<IOptionsFactory<TSettings>>().Create(Options.DefaultName));

    /// <summary>Takes an Init's config map, or refuses it with the key, the value and what is expected.</summary>
    /// <exception cref="PluginException"><see cref="PluginErrorCode.InvalidArgument"/>: a value does not bind or validate; the previous map stays.</exception>
    public void Apply(IReadOnlyDictionary<string, string> config, IServiceProvider services)
    {
        lock (_gate)
        {
            // The candidate is checked through the options factory before anyone is told of a change, so the
            // services' IOptionsMonitor never sees (nor caches the failure of) a map that is refused.
            var previous = _provider.Snapshot();
            _provider.Set(config, notify: false);
            try
            {
                foreach (var check in _checks)
                {
                    check(services);
                }
            }
            catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException)
            {
                var refusal = Refusal(ex);
                _provider.Set(previous, notify: false);
                throw refusal;
            }

            _provider.Notify();
        }
    }

    private PluginException Refusal(Exception ex)
    {
        const string Fix = "Fix the value in the plugin's config (the host's plugin settings, or the config applied through the management API) and apply it again.";
        if (ex is OptionsValidationException invalid)
        {
            return new PluginException(PluginErrorCode.InvalidArgument, $"The plugin's settings are not valid: {string.Join(" ", invalid.Failures)} {Fix}", ex);
        }

        // The binder's message names the key and the target type but (so as not to leak secrets into logs) not the
        // value; the value is the host's own, so it is named here.
        var match = FailedConversion().Match(ex.Message);
        if (!match.Success)
        {
            return new PluginException(PluginErrorCode.InvalidArgument, $"The plugin's settings cannot be read from its config: {ex.Message} {Fix}", ex);
        }

        var key = match.Groups["key"].Value;
        var type = match.Groups["type"].Value;
        return new PluginException(PluginErrorCode.InvalidArgument, $"The '{key}' setting is '{Raw(key)}', which is not {Expected(type)}. {Fix}", ex)
        {
            Metadata = new Dictionary<string, string> { ["setting"] = key, ["value"] = Raw(key) ?? string.Empty, ["expected"] = type },
        };
    }

    private static string Expected(string type) => type switch
    {
        "System.Int32" or "System.Int64" or "System.Int16" or "System.UInt32" or "System.UInt64" or "System.UInt16" or "System.Byte" => "a whole number",
        "System.Double" or "System.Single" or "System.Decimal" => "a number (with '.' for decimals)",
        "System.Boolean" => "true or false",
        "System.TimeSpan" => "a duration such as 00:00:30",
        "System.Uri" => "a URL",
        _ => string.Create(CultureInfo.InvariantCulture, $"a value of type {type}"),
    };

    [GeneratedRegex("at '(?<key>[^']+)' to type '(?<type>[^']+)'")]
    private static partial Regex FailedConversion();

    private sealed class Provider : ConfigurationProvider
    {
        public Dictionary<string, string?> Snapshot() => new(Data, StringComparer.OrdinalIgnoreCase);

        public void Set(IEnumerable<KeyValuePair<string, string>> config, bool notify) =>
            Set(config.ToDictionary(pair => pair.Key, pair => (string?)pair.Value, StringComparer.OrdinalIgnoreCase), notify);

        public void Set(Dictionary<string, string?> data, bool notify)
        {
            Data = data;
            if (notify)
            {
                Notify();
            }
        }

        public void Notify() => OnReload();
    }
}
