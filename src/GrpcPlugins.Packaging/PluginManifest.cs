using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GrpcPlugins.Packaging.Internal;
using GrpcPlugins.Plugin.V1;

namespace GrpcPlugins.Packaging;

/// <summary>
/// A package's <c>plugin.json</c>: who made the plugin, what it is, how to start it, which hosts it supports, its
/// config schema, the SHA-256 of every file and an optional signature. <see cref="Parse(ReadOnlySpan{byte})"/> checks
/// every field and reports all problems at once.
/// </summary>
public sealed partial class PluginManifest
{
    /// <summary>The manifest's file name at the package root.</summary>
    public const string FileName = "plugin.json";

    /// <summary>The largest <c>plugin.json</c> read, in bytes.</summary>
    public const int MaxBytes = 1024 * 1024;

    private PluginManifest(JsonObject json) => Json = json;

    /// <summary>The plugin's name: unique on a host, 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.</summary>
    public string Name { get; private init; } = string.Empty;

    /// <summary>The plugin's version.</summary>
    public PluginVersion Version { get; private init; }

    /// <summary>What the plugin does, in a sentence.</summary>
    public string Description { get; private init; } = string.Empty;

    /// <summary>The authors, free text such as "Jane Doe &lt;jane@example.com&gt;".</summary>
    public IReadOnlyList<string> Authors { get; private init; } = [];

    /// <summary>Who built the package, from <c>plugin.json</c>'s <c>builder</c>.</summary>
    public PackageAuthor Builder { get; private init; } = new(string.Empty, string.Empty);

    /// <summary>Where the plugin's source code is.</summary>
    public Uri SourceUrl { get; private init; } = null!;

    /// <summary>When the package was built.</summary>
    public DateTimeOffset BuildTime { get; private init; }

    /// <summary>The plugin types it implements; at least one.</summary>
    public IReadOnlyList<PluginType> Types { get; private init; } = [];

    /// <summary>
    /// The fully-qualified gRPC services it serves besides its built-in type's, from <c>plugin.json</c>'s optional
    /// <c>services</c>, such as <c>"filetransfer.scanner.v1.ScannerService"</c>; required for the type <c>custom</c>. The host
    /// refuses to start a plugin that does not serve each of them. Defaults to none.
    /// </summary>
    public IReadOnlyList<string> Services { get; private init; } = [];

    /// <summary>How to start it.</summary>
    public PluginEntrypoint Entrypoint { get; private init; } = new(string.Empty, []);

    /// <summary>The plugin API versions it speaks, such as "v1".</summary>
    public IReadOnlyList<string> ApiVersions { get; private init; } = [];

    /// <summary>The host versions it supports.</summary>
    public VersionConstraint HostVersions { get; private init; } = null!;

    /// <summary>Its place among plugins of its type: lower runs first; the host's built-in plugins use 1000. Required.</summary>
    public int Priority { get; private init; }

    /// <summary>The JSON Schema its configuration must match, with defaults; null when it takes no configuration.</summary>
    public JsonObject? ConfigSchema { get; private init; }

    /// <summary>How a new configuration reaches the running plugin. Defaults to <see cref="ReconfigureMode.Init"/>.</summary>
    public ReconfigureMode Reconfigure { get; private init; }

    /// <summary>The SHA-256 (lowercase hex) of every file in the package but <c>plugin.json</c>, keyed by path with '/' separators.</summary>
    public IReadOnlyDictionary<string, string> Files { get; private init; } = new Dictionary<string, string>();

    /// <summary>
    /// The host callbacks the plugin asks for (<c>"permissions": {"callbacks": ["files.read", "kv", "log"]}</c>), covered
    /// by the signature as the rest of the manifest; a host that runs the package grants them. Empty when the manifest
    /// has no <c>permissions</c>.
    /// </summary>
    public IReadOnlyList<string> CallbackGrants { get; private init; } = [];

    /// <summary>
    /// What the plugin may reach (<c>permissions</c>: callbacks, read and write paths, network); <see cref="PluginPermissions.None"/>
    /// when the manifest declares nothing. The host enforces them at spawn.
    /// </summary>
    public PluginPermissions Permissions { get; private init; } = PluginPermissions.None;

    /// <summary>What the plugin may use of the machine (<c>resources</c>); <see cref="PluginResources.None"/> when undeclared.</summary>
    public PluginResources Resources { get; private init; } = PluginResources.None;

    /// <summary>
    /// What this manifest may do that <paramref name="installed"/> (the version it would replace) may not, one line
    /// each, such as "network: none becomes any" or "write: adds /srv/data"; empty when it asks for nothing more. An
    /// upgrade that widens is shown to the admin and confirmed first, as a phone does with an app's permissions.
    /// </summary>
    /// <param name="installed">The installed version's manifest.</param>
    /// <returns>What widens.</returns>
    public IReadOnlyList<string> WidensFrom(PluginManifest installed)
    {
        ArgumentNullException.ThrowIfNull(installed);
        return PermissionWidening.Compare(installed.Resources, installed.Permissions, Resources, Permissions);
    }

    /// <summary>The signature; null when the package is unsigned.</summary>
    public PluginSignature? Signature { get; private init; }

    /// <summary>The manifest as read, with any fields this version does not know.</summary>
    public JsonObject Json { get; }

    /// <summary>
    /// The bytes a signature covers: the manifest without its top-level <c>signature</c>, canonicalized by RFC 8785
    /// (JSON Canonicalization Scheme) and UTF-8 encoded. Every field, including the file checksums, is covered.
    /// docs/packages.md ("Signature format") describes it for signers in other languages.
    /// </summary>
    /// <returns>The canonical UTF-8 bytes.</returns>
    public byte[] CanonicalBytes() => Rfc8785.Write(Json, skipTopLevel: "signature");

    /// <summary>The bytes a signature of the given canonicalization covers: RFC 8785, or the first format's when null.</summary>
    internal byte[] CanonicalBytes(string? canonicalization) =>
        canonicalization is null ? CanonicalJson.Write(Json, skipTopLevel: "signature") : CanonicalBytes();

    /// <summary>The manifest as indented UTF-8 JSON, as written to <c>plugin.json</c>.</summary>
    /// <returns>The bytes.</returns>
    public byte[] ToUtf8Bytes() => JsonSerializer.SerializeToUtf8Bytes(Json, CanonicalJson.Indented);

    /// <summary>Reads and checks a manifest.</summary>
    /// <param name="utf8">The content of <c>plugin.json</c>.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="PackageException">The JSON is malformed, or fields are missing or malformed (<see cref="PackageProblem.ManifestInvalid"/>); <see cref="PackageException.Reasons"/> lists each.</exception>
    public static PluginManifest Parse(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxBytes)
        {
            throw new PackageException(PackageProblem.TooLarge, $"{FileName} is {utf8.Length} bytes; the most allowed is {MaxBytes}. Keep large data in the package's files.");
        }

        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            // The JSON reader checks UTF-8 only as far as it reads; a bad byte inside a string would surface later as an unexpected exception.
            throw new PackageException(PackageProblem.ManifestInvalid, $"{FileName} is not UTF-8 text; save it as UTF-8 and pack again.");
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions { MaxDepth = 64, AllowDuplicateProperties = false });
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException)
        {
            throw new PackageException(PackageProblem.ManifestInvalid, $"{FileName} is not valid JSON: {ex.Message} Fix the file and pack again.", ex);
        }

        if (node is not JsonObject json)
        {
            throw new PackageException(PackageProblem.ManifestInvalid, $"{FileName} must hold a JSON object, not {Kind(node)}.");
        }

        return FromJson(json);
    }

    /// <summary>Reads and checks a manifest from a JSON object, as <see cref="Parse(ReadOnlySpan{byte})"/> does.</summary>
    /// <param name="json">The manifest; it is copied.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="PackageException">Fields are missing or malformed.</exception>
    public static PluginManifest FromJson(JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var reader = new ManifestReader((JsonObject)json.DeepClone());
        var manifest = reader.Read();
        if (reader.Problems.Count > 0)
        {
            throw new PackageException(
                PackageProblem.ManifestInvalid,
                $"{FileName} has {reader.Problems.Count} problem(s): {string.Join(" ", reader.Problems)}")
            {
                Reasons = reader.Problems,
            };
        }

        return manifest;
    }

    internal static string Kind(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => "true or false",
    };

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    internal static partial Regex NamePattern();

    [GeneratedRegex("^[0-9a-f]{64}$")]
    internal static partial Regex Sha256Pattern();

    [GeneratedRegex("^v[1-9][0-9]{0,3}$")]
    internal static partial Regex ApiVersionPattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$", RegexOptions.CultureInvariant)]
    internal static partial Regex ServiceNamePattern();

    /// <summary>Reads the fields one by one, noting every problem rather than stopping at the first.</summary>
    private sealed class ManifestReader(JsonObject json)
    {
        public List<string> Problems { get; } = [];

        public PluginManifest Read()
        {
            var name = String("name", "the plugin's unique name, such as \"audit-s3\"");
            if (name.Length > 0 && !NamePattern().IsMatch(name))
            {
                Problems.Add($"'name' is \"{name}\": use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.");
            }

            var versionText = String("version", "such as \"1.0.0\"");
            var version = default(PluginVersion);
            if (versionText.Length > 0 && !PluginVersion.TryParse(versionText, out version))
            {
                Problems.Add($"'version' is \"{versionText}\": write one to three numbers and an optional label, such as \"1.4.2\".");
            }

            var description = String("description", "a sentence saying what the plugin does");
            var authors = StringList("authors", "such as [\"Jane Doe <jane@example.com>\"]", allowEmpty: false);
            var builder = Builder();
            var sourceUrl = Url();
            var buildTime = BuildTime();
            var types = Types();
            var services = ServicesField(types);
            var entrypoint = Entrypoint();
            var apiVersions = StringList("apiVersions", "such as [\"v1\"]", allowEmpty: false);
            foreach (var bad in apiVersions.Where(v => !ApiVersionPattern().IsMatch(v)))
            {
                Problems.Add($"'apiVersions' holds \"{bad}\": API versions are written \"v1\", \"v2\", ...");
            }

            var hostVersions = HostVersions();
            var priority = Priority();
            var schema = ConfigSchemaField();
            var reconfigure = ReconfigureField();
            var files = FilesField();
            if (entrypoint.Command.Length > 0 && files.Count > 0 && !files.ContainsKey(entrypoint.Command))
            {
                Problems.Add($"'entrypoint.command' is \"{entrypoint.Command}\", which is not one of 'files': name a file of the package, such as \"MyPlugin.dll\".");
            }

            return new PluginManifest(json)
            {
                Name = name,
                Version = version,
                Description = description,
                Authors = authors,
                Builder = builder,
                SourceUrl = sourceUrl!,
                BuildTime = buildTime,
                Types = types,
                Services = services,
                Entrypoint = entrypoint,
                ApiVersions = apiVersions,
                HostVersions = hostVersions!,
                Priority = priority,
                ConfigSchema = schema,
                Reconfigure = reconfigure,
                Files = files,
                Signature = SignatureField(),
                CallbackGrants = CallbackGrantsField(),
                Permissions = PermissionsField(),
                Resources = ResourcesField(),
            };
        }

        private string String(string field, string hint, JsonObject? parent = null, string? path = null)
        {
            var node = (parent ?? json)[field];
            path ??= field;
            if (node is null)
            {
                Problems.Add($"'{path}' is missing: add it ({hint}).");
                return string.Empty;
            }

            if (node.GetValueKind() != JsonValueKind.String || string.IsNullOrWhiteSpace(node.GetValue<string>()))
            {
                Problems.Add($"'{path}' must be a non-empty string ({hint}), not {Kind(node)}.");
                return string.Empty;
            }

            return node.GetValue<string>();
        }

        private List<string> StringList(string field, string hint, bool allowEmpty, JsonObject? parent = null, string? path = null)
        {
            var node = (parent ?? json)[field];
            path ??= field;
            if (node is null)
            {
                if (!allowEmpty)
                {
                    Problems.Add($"'{path}' is missing: add it ({hint}).");
                }

                return [];
            }

            if (node is not JsonArray array || array.Any(i => i?.GetValueKind() != JsonValueKind.String))
            {
                Problems.Add($"'{path}' must be an array of strings ({hint}).");
                return [];
            }

            if (!allowEmpty && array.Count == 0)
            {
                Problems.Add($"'{path}' is empty: list at least one ({hint}).");
            }

            return [.. array.Select(i => i!.GetValue<string>())];
        }

        private List<string> CallbackGrantsField()
        {
            var node = json["permissions"];
            if (node is null)
            {
                return [];
            }

            if (node is not JsonObject permissions)
            {
                Problems.Add("'permissions' must be an object, such as {\"callbacks\": [\"kv\"]}.");
                return [];
            }

            return StringList("callbacks", "such as [\"files.read\", \"kv\", \"log\"]", allowEmpty: true, permissions, "permissions.callbacks");
        }

        private PluginPermissions PermissionsField()
        {
            if (json["permissions"] is not JsonObject permissions)
            {
                return PluginPermissions.None;
            }

            const string PathHint = "absolute paths or paths starting with a host variable, such as [\"{DataDir}/files\"]";
            List<string>? Paths(string field)
            {
                if (permissions[field] is null)
                {
                    return null;
                }

                var paths = StringList(field, PathHint, allowEmpty: true, permissions, "permissions." + field);
                foreach (var bad in paths.Where(p => !(p.StartsWith('/') || p.StartsWith('{')) || p.Split('/').Contains("..")))
                {
                    Problems.Add($"'permissions.{field}' holds \"{bad}\": write {PathHint}, without '..'.");
                }

                return paths;
            }

            var read = Paths("read");
            var write = Paths("write");
            var network = "any";
            if (permissions["network"] is { } node)
            {
                if (node.GetValueKind() == JsonValueKind.String && PluginPermissions.NetworkValues.Contains(node.GetValue<string>()))
                {
                    network = node.GetValue<string>();
                }
                else
                {
                    Problems.Add($"'permissions.network' must be \"none\", \"loopback\" or \"any\", not {node.ToJsonString()}.");
                }
            }

            return new PluginPermissions(CallbackGrantsField(), read is null && write is not null ? [] : read, write is null && read is not null ? [] : write, network);
        }

        private PluginResources ResourcesField()
        {
            var resources = Object("resources", "such as {\"memoryMiB\": 128, \"cpuPercent\": 50, \"maxProcesses\": 64, \"maxOpenFiles\": 256}", required: false);
            if (resources is null)
            {
                return PluginResources.None;
            }

            int? Limit(string field, int least)
            {
                if (resources[field] is not { } node)
                {
                    return null;
                }

                if (node.GetValueKind() != JsonValueKind.Number || !node.AsValue().TryGetValue<int>(out var value) || value < least)
                {
                    Problems.Add($"'resources.{field}' must be a whole number of at least {least}, not {node.ToJsonString()}.");
                    return null;
                }

                return value;
            }

            foreach (var (field, _) in resources.Where(f => f.Key is not ("memoryMiB" or "cpuPercent" or "maxProcesses" or "maxOpenFiles")))
            {
                Problems.Add($"'resources' holds \"{field}\": use memoryMiB, cpuPercent, maxProcesses and maxOpenFiles.");
            }

            return new PluginResources(Limit("memoryMiB", 16), Limit("cpuPercent", 1), Limit("maxProcesses", 1), Limit("maxOpenFiles", 16));
        }

        private JsonObject? Object(string field, string hint, bool required)
        {
            var node = json[field];
            if (node is null)
            {
                if (required)
                {
                    Problems.Add($"'{field}' is missing: add it ({hint}).");
                }

                return null;
            }

            if (node is not JsonObject obj)
            {
                Problems.Add($"'{field}' must be an object ({hint}), not {Kind(node)}.");
                return null;
            }

            return obj;
        }

        private PackageAuthor Builder()
        {
            const string Hint = "{\"name\": \"...\", \"contact\": \"email or web site\"}";
            var obj = Object("builder", Hint, required: true);
            return obj is null
                ? new PackageAuthor(string.Empty, string.Empty)
                : new PackageAuthor(String("name", Hint, obj, "builder.name"), String("contact", Hint, obj, "builder.contact"));
        }

        private Uri? Url()
        {
            var text = String("sourceUrl", "the address of the plugin's source code");
            if (text.Length > 0 && !(Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "https" or "http"))
            {
                Problems.Add($"'sourceUrl' is \"{text}\": write an absolute http or https address.");
                return null;
            }

            return text.Length > 0 ? new Uri(text) : null;
        }

        private DateTimeOffset BuildTime()
        {
            var text = String("buildTime", "an ISO 8601 time such as \"2026-01-31T12:00:00Z\"");
            var time = default(DateTimeOffset);
            if (text.Length > 0 && !DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out time))
            {
                Problems.Add($"'buildTime' is \"{text}\": write an ISO 8601 time such as \"2026-01-31T12:00:00Z\".");
                return default;
            }

            return time;
        }

        private List<string> ServicesField(List<PluginType> types)
        {
            const string Hint = "fully-qualified gRPC service names, such as [\"acme.scanner.v1.ScannerService\"]";
            var services = StringList("services", Hint, allowEmpty: true);
            foreach (var bad in services.Where(s => !ServiceNamePattern().IsMatch(s)))
            {
                Problems.Add($"'services' holds \"{bad}\": write {Hint}, without a leading slash or method name.");
            }

            foreach (var twice in services.GroupBy(s => s, StringComparer.Ordinal).Where(g => g.Count() > 1))
            {
                Problems.Add($"'services' lists \"{twice.Key}\" twice.");
            }

            if (types.Contains(PluginType.Custom) && services.Count == 0)
            {
                Problems.Add($"'types' holds \"custom\" but 'services' is missing or empty: list the services the plugin serves ({Hint}).");
            }

            return services;
        }

        private List<PluginType> Types()
        {
            const string Hint = "one or more of \"auth\", \"storage\", \"protocol\", \"monitor\", \"custom\" (with 'services')";
            var types = new List<PluginType>();
            foreach (var text in StringList("types", Hint, allowEmpty: false))
            {
                if (Enum.TryParse<PluginType>(text, ignoreCase: true, out var type) && type != PluginType.Unspecified && Enum.IsDefined(type) && text.All(char.IsAsciiLetter))
                {
                    if (types.Contains(type))
                    {
                        Problems.Add($"'types' lists \"{text}\" twice.");
                    }

                    types.Add(type);
                }
                else
                {
                    Problems.Add($"'types' holds \"{text}\": use {Hint}.");
                }
            }

            return types;
        }

        private PluginEntrypoint Entrypoint()
        {
            const string Hint = "{\"command\": \"MyPlugin.dll\", \"args\": []}";
            var obj = Object("entrypoint", Hint, required: true);
            if (obj is null)
            {
                return new PluginEntrypoint(string.Empty, []);
            }

            var command = String("command", Hint, obj, "entrypoint.command");
            var args = StringList("args", Hint, allowEmpty: true, obj, "entrypoint.args");
            return new PluginEntrypoint(command, args);
        }

        private VersionConstraint? HostVersions()
        {
            var text = String("hostVersions", "the host versions supported, such as \"~> 1.0\" or \">= 1.0, < 3\"");
            if (text.Length == 0)
            {
                return null;
            }

            try
            {
                return VersionConstraint.Parse(text);
            }
            catch (FormatException ex)
            {
                Problems.Add($"'hostVersions': {ex.Message}");
                return null;
            }
        }

        private int Priority()
        {
            var node = json["priority"];
            if (node is null)
            {
                Problems.Add("'priority' is missing: state the plugin's place among plugins of its type (lower runs first; the host's built-in plugins use 1000), so order is never left to luck.");
                return 0;
            }

            if (node.GetValueKind() != JsonValueKind.Number || !node.AsValue().TryGetValue<int>(out var priority))
            {
                Problems.Add($"'priority' must be a whole number such as 500, not {Kind(node)} {node.ToJsonString()}.");
                return 0;
            }

            return priority;
        }

        private JsonObject? ConfigSchemaField()
        {
            var schema = Object("configSchema", "a JSON Schema of type object, with defaults", required: false);
            if (schema is null)
            {
                return null;
            }

            foreach (var problem in ConfigSchemaCheck.Problems(schema))
            {
                Problems.Add("'configSchema' " + problem);
            }

            return schema;
        }

        private ReconfigureMode ReconfigureField()
        {
            var node = json["reconfigure"];
            if (node is null)
            {
                return ReconfigureMode.Init;
            }

            if (node.GetValueKind() == JsonValueKind.String && node.GetValue<string>() is "init" or "restart")
            {
                return node.GetValue<string>() == "init" ? ReconfigureMode.Init : ReconfigureMode.Restart;
            }

            Problems.Add($"'reconfigure' must be \"init\" or \"restart\", not {node.ToJsonString()}.");
            return ReconfigureMode.Init;
        }

        private Dictionary<string, string> FilesField()
        {
            var obj = Object("files", "each file's path and SHA-256; `grpcplugins pack` writes it", required: true);
            var files = new Dictionary<string, string>(StringComparer.Ordinal);
            if (obj is null)
            {
                return files;
            }

            if (obj.Count == 0)
            {
                Problems.Add("'files' is empty: a package holds at least its entrypoint; `grpcplugins pack` lists the files.");
            }

            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (path, hash) in obj)
            {
                if (EntryPaths.Problem(path) is { } pathProblem)
                {
                    Problems.Add($"'files' lists \"{path}\", which {pathProblem}.");
                }
                else if (path.Equals(FileName, StringComparison.OrdinalIgnoreCase))
                {
                    Problems.Add($"'files' lists {FileName} itself; it covers the other files only.");
                }
                else if (!seen.Add(path))
                {
                    Problems.Add($"'files' lists \"{path}\" twice (names differing only in case clash on some systems).");
                }

                if (hash?.GetValueKind() != JsonValueKind.String || !Sha256Pattern().IsMatch(hash.GetValue<string>()))
                {
                    Problems.Add($"'files' gives \"{path}\" the checksum {hash?.ToJsonString() ?? "null"}: write its SHA-256 as 64 lowercase hex digits.");
                    continue;
                }

                files[path] = hash.GetValue<string>();
            }

            return files;
        }

        private PluginSignature? SignatureField()
        {
            const string Hint = "{\"algorithm\": \"ecdsa-p256-sha256\", \"keyId\": \"...\", \"value\": \"base64\"}; `grpcplugins pack --key` writes it";
            var obj = Object("signature", Hint, required: false);
            if (obj is null)
            {
                return null;
            }

            var algorithm = String("algorithm", Hint, obj, "signature.algorithm");
            var keyId = String("keyId", Hint, obj, "signature.keyId");
            var value = String("value", Hint, obj, "signature.value");
            if (algorithm.Length > 0 && algorithm != PackageSigner.Algorithm)
            {
                Problems.Add($"'signature.algorithm' is \"{algorithm}\": only \"{PackageSigner.Algorithm}\" is supported.");
            }

            // Absent in signatures made before RFC 8785 (the first format); "rfc8785" since.
            string? canonicalization = null;
            if (obj["canonicalization"] is { } given)
            {
                canonicalization = given.GetValueKind() == System.Text.Json.JsonValueKind.String ? given.GetValue<string>() : given.ToJsonString();
                if (canonicalization != PackageSigner.Canonicalization)
                {
                    Problems.Add($"'signature.canonicalization' is \"{canonicalization}\": only \"{PackageSigner.Canonicalization}\" is supported (or no field, for signatures of the first format). Sign the package again with `grpcplugins pack --key`.");
                }
            }

            return new PluginSignature(algorithm, keyId, value) { Canonicalization = canonicalization };
        }
    }
}
