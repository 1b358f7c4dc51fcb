using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace GrpcPlugins.Packaging;

/// <summary>What an operator asked of an installed plugin; it holds across host restarts.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InstalledStatus>))]
public enum InstalledStatus
{
    /// <summary>Installed but not loaded: it does not start with the host, and must be enabled before it can start.</summary>
    [JsonStringEnumMemberName("disabled")]
    Disabled,

    /// <summary>Enabled but stopped: it does not start with the host until started.</summary>
    [JsonStringEnumMemberName("stopped")]
    Stopped,

    /// <summary>Enabled and running: it starts with the host.</summary>
    [JsonStringEnumMemberName("running")]
    Running,
}

/// <summary>The saved state of one installed plugin.</summary>
public sealed record InstalledPluginState
{
    /// <summary>What the operator asked. Defaults to <see cref="InstalledStatus.Stopped"/>.</summary>
    public InstalledStatus Status { get; init; } = InstalledStatus.Stopped;

    /// <summary>The configuration, with the schema's defaults filled in. Defaults to empty.</summary>
    public JsonObject Config { get; init; } = [];

    /// <summary>The installed version.</summary>
    public string Version { get; init; } = string.Empty;

    /// <summary>When the plugin was installed.</summary>
    public DateTimeOffset InstalledAt { get; init; }

    /// <summary>
    /// The plugin's folder, relative to the plugins folder, when it is not the folder named after the plugin: an
    /// upgrade installs the new version beside the old one, and this names it once the upgrade is done. Defaults to null.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Folder { get; init; }

    /// <summary>
    /// The priority an operator chose while the host ran (the management API's <c>PUT {name}/move</c>), which replaces
    /// the manifest's <c>priority</c>. Defaults to null: the manifest's.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Priority { get; init; }
}

/// <summary>
/// The state of the installed plugins, in one JSON file. Every change rewrites the file atomically (a new file, then a
/// rename), so a crash leaves the old state or the new one, never half of each.
/// </summary>
/// <param name="path">The state file; created on the first change.</param>
public sealed class InstalledPluginStore(string path)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly Lock _lock = new();

    /// <summary>The state file.</summary>
    public string Path { get; } = System.IO.Path.GetFullPath(path ?? throw new ArgumentNullException(nameof(path)));

    /// <summary>Reads every plugin's state.</summary>
    /// <returns>The states by plugin name; empty when the file does not exist yet.</returns>
    /// <exception cref="PackageException">The file is damaged.</exception>
    public IReadOnlyDictionary<string, InstalledPluginState> Load()
    {
        lock (_lock)
        {
            return Read();
        }
    }

    /// <summary>One plugin's state.</summary>
    /// <param name="name">The plugin's name.</param>
    /// <returns>The state, or null when none is saved.</returns>
    public InstalledPluginState? Get(string name) => Load().GetValueOrDefault(name);

    /// <summary>Saves one plugin's state.</summary>
    /// <param name="name">The plugin's name.</param>
    /// <param name="state">The state.</param>
    public void Set(string name, InstalledPluginState state) => Update(all => all[name] = state);

    /// <summary>Changes one plugin's state.</summary>
    /// <param name="name">The plugin's name.</param>
    /// <param name="change">Returns the new state from the old one.</param>
    /// <returns>The new state.</returns>
    /// <exception cref="PackageException">No state is saved for the plugin.</exception>
    public InstalledPluginState Change(string name, Func<InstalledPluginState, InstalledPluginState> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        InstalledPluginState? result = null;
        Update(all =>
        {
            var old = all.GetValueOrDefault(name)
                ?? throw new PackageException(PackageProblem.NotInstalled, $"No plugin named '{name}' is installed. `grpcplugins list` shows the installed plugins.");
            all[name] = result = change(old);
        });
        return result!;
    }

    /// <summary>Forgets one plugin's state.</summary>
    /// <param name="name">The plugin's name.</param>
    /// <returns>Whether a state was saved.</returns>
    public bool Remove(string name)
    {
        var removed = false;
        Update(all => removed = all.Remove(name));
        return removed;
    }

    private void Update(Action<Dictionary<string, InstalledPluginState>> change)
    {
        lock (_lock)
        {
            var all = Read();
            change(all);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            var temp = Path + ".tmp-" + Guid.NewGuid().ToString("N");
            try
            {
                using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                {
                    JsonSerializer.Serialize(file, new SortedDictionary<string, InstalledPluginState>(all, StringComparer.Ordinal), Json);
                    file.Flush(flushToDisk: true);
                }

                File.Move(temp, Path, overwrite: true);
            }
            finally
            {
                File.Delete(temp);
            }
        }
    }

    private Dictionary<string, InstalledPluginState> Read()
    {
        if (!File.Exists(Path))
        {
            return new(StringComparer.OrdinalIgnoreCase);
        }

        try
        {
            var saved = JsonSerializer.Deserialize<Dictionary<string, InstalledPluginState>>(File.ReadAllBytes(Path), Json);
            return new(saved ?? [], StringComparer.OrdinalIgnoreCase);
        }
        catch (JsonException ex)
        {
            throw new PackageException(PackageProblem.ManifestInvalid, $"The installed-plugin state file {Path} is damaged ({ex.Message}). Fix or delete it; deleting it leaves every installed plugin stopped with its default configuration.", ex);
        }
    }
}
