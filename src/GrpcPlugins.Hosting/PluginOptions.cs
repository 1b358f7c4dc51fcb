using GrpcPlugins.Hosting.Internal;
using GrpcPlugins.Internal;
using GrpcPlugins.Plugin.V1;

namespace GrpcPlugins.Hosting;

/// <summary>How to start and call one plugin. Bound from one entry of the <c>Plugins</c> configuration section.</summary>
public sealed class PluginOptions
{
    /// <summary>The priority of a plugin that states none, such as the built-in plugins of a host's configuration.</summary>
    public const int DefaultPriority = 1000;

    /// <summary>The plugin's name, unique within the host. Required.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>
    /// The plugin's type; a built-in type (Auth, Storage, Protocol, Monitor) must match what the plugin reports in its
    /// metadata, and implies the type's service. Required unless <see cref="Services"/> is set: the type is then
    /// <see cref="PluginType.Custom"/>. Defaults to Unspecified.
    /// </summary>
    public PluginType Type { get; set; } = PluginType.Unspecified;

    /// <summary>
    /// The fully-qualified names of the gRPC services the plugin must serve, such as
    /// <c>filetransfer.scanner.v1.ScannerService</c>; call them with <see cref="PluginClient.CreateClient{TClient}"/>. At
    /// start the host checks that the plugin's metadata lists each of them, besides the service a built-in
    /// <see cref="Type"/> implies. Set with no <see cref="Type"/>, the plugin is a <see cref="PluginType.Custom"/> one.
    /// Defaults to none.
    /// </summary>
    public List<string> Services { get; set; } = [];

    /// <summary>
    /// Unary methods that are safe to repeat, keyed by method name (<c>Scan</c>) or full name
    /// (<c>/filetransfer.scanner.v1.ScannerService/Scan</c>), for clients made by <see cref="PluginClient.CreateClient{TClient}"/>:
    /// while the plugin restarts such a call waits for it, and one cut by a crash is tried again, within the method's
    /// deadline. Every other call fails at once with Unavailable while the plugin is down. Defaults to none.
    /// </summary>
    public List<string> IdempotentMethods { get; set; } = [];

    /// <summary>
    /// The plugin's place among plugins of its type: <see cref="IPluginRegistry.OfType"/> lists lower values first, so an
    /// auth chain asks them first and monitor events reach them first. Built-in plugins keep the default; an installed
    /// package states its own. Defaults to 1000.
    /// </summary>
    public int Priority { get; set; } = DefaultPriority;

    /// <summary>
    /// The executable to start, or a <c>.dll</c> that is run with <c>dotnet</c>. A relative path is resolved
    /// against <see cref="GrpcPluginsOptions.BaseDirectory"/>. Required, unless <see cref="Remote"/> is set (then it must be empty).
    /// </summary>
    public string Command { get; set; } = string.Empty;

    /// <summary>Arguments passed to the command. Defaults to none.</summary>
    public List<string> Args { get; set; } = [];

    /// <summary>The configuration sent to the plugin's Init. Defaults to empty.</summary>
    public Dictionary<string, string> Config { get; set; } = [];

    /// <summary>
    /// Extra environment variables for the plugin process. Defaults to none. The plugin gets these, the protocol's
    /// variables, and only the host variables that <see cref="GrpcPluginsOptions.EnvironmentAllowList"/> lets through.
    /// </summary>
    public Dictionary<string, string> Environment { get; set; } = [];

    /// <summary>
    /// The expected SHA-256 of <see cref="Command"/>'s file (the executable, or the <c>.dll</c> run by <c>dotnet</c>), as
    /// <c>sha256:&lt;64 hex digits&gt;</c>, like go-plugin's SecureConfig. When set, a file with another hash is not started.
    /// Defaults to none: no check. Print a file's value with <c>sha256sum FILE</c>.
    /// </summary>
    public string? Checksum { get; set; }

    /// <summary>
    /// Whether to talk to the plugin over mutual TLS with ephemeral, pinned certificates (AutoMTLS, as go-plugin's).
    /// Defaults to null: on for TCP, off for Unix sockets, whose private folder already keeps other users out.
    /// A plugin asked for AutoMTLS that does not answer with a certificate is refused.
    /// </summary>
    public bool? AutoMtls { get; set; }

    /// <summary>The plugin process's working directory. Defaults to the host's current directory.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>"unix" or "tcp": the transport the plugin is asked to use. Defaults to "unix" where the system has Unix sockets.</summary>
    public string? Transport { get; set; }

    /// <summary>
    /// How long to wait for the handshake, health and Init together. Defaults to 1 minute, as go-plugin's StartTimeout:
    /// a .NET plugin starts in well under a second, but many starting at once on a busy machine need longer.
    /// </summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The deadline of a unary call when the caller sets none. Defaults to 30 seconds.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a plugin may take to exit after Shutdown before it is killed. Defaults to 5 seconds.</summary>
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// When the plugin is replaced by a new instance (an upgrade), how long the old instance may take to finish the
    /// calls it has in flight before it is stopped anyway. Defaults to 30 seconds.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest message sent to or accepted from the plugin, in bytes. Defaults to 4 MiB.</summary>
    public int MaxMessageSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Whether Store and Retrieve send their content over the plugin's data channel, a raw Unix socket beside the gRPC
    /// one, when the plugin offers it (plugins built on the GrpcPlugins SDK do, unless they use TCP or AutoMTLS). The
    /// metadata and the outcome still go through gRPC; only the bytes skip the HTTP/2 framing, which costs most of the
    /// CPU of a large transfer. Defaults to true; false sends every byte as gRPC chunk messages.
    /// </summary>
    public bool DataChannel { get; set; } = true;

    /// <summary>
    /// Whether a Retrieve over the data channel asks the plugin to pass its open file instead of its bytes, when the
    /// plugin declares <c>CAPABILITY_DATA_CHANNEL_FILES</c> (storage plugins built on the GrpcPlugins SDK do on 64-bit
    /// Linux): the host then reads the content straight from the file, which saves the plugin's read and both sides'
    /// socket copies. Likewise a Store asks a plugin that declares <c>CAPABILITY_DATA_CHANNEL_STORE_FILES</c> for a file
    /// to write the content into (pwrite), which saves both sides' socket copies and the plugin's receive loop and hash.
    /// The plugin still chooses the file, opens it, and decides what it commits; a plugin whose content is not a file
    /// takes or sends its bytes as before. Defaults to true; false always sends and takes the bytes.
    /// </summary>
    public bool DataChannelFiles { get; set; } = true;

    /// <summary>The chunk size of Store calls that send gRPC chunk messages, in bytes. Defaults to 64 KiB.</summary>
    public int ChunkSize { get; set; } = ChunkWriter.DefaultChunkSize;

    /// <summary>
    /// Per-method deadlines, keyed by method name (<c>Stats</c>) or full name
    /// (<c>/grpcplugins.storage.v1.StorageService/Stats</c>). A method not listed gets <see cref="CallTimeout"/> when it is
    /// unary and no deadline when it streams. Defaults to none.
    /// </summary>
    public Dictionary<string, TimeSpan> MethodTimeouts { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Whether a plugin that exits or stops answering health checks is restarted. Defaults to true.</summary>
    public bool RestartOnCrash { get; set; } = true;

    /// <summary>
    /// The most restarts within <see cref="RestartWindow"/>; past it the plugin is marked <see cref="PluginState.Crashed"/>
    /// and stays down until an operator calls <see cref="PluginClient.RestartAsync"/>. Defaults to 5.
    /// </summary>
    public int MaxRestarts { get; set; } = 5;

    /// <summary>The window <see cref="MaxRestarts"/> counts restarts in. Defaults to 1 minute.</summary>
    public TimeSpan RestartWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The wait before the first restart; it doubles with each restart in the window, with ±20% jitter. Defaults to
    /// 10 ms: a crashed plugin's callers wait for its restart, and <see cref="MaxRestarts"/>, not this wait, is what stops
    /// a crash loop.
    /// </summary>
    public TimeSpan RestartDelay { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>The longest wait between restarts. Defaults to 30 seconds.</summary>
    public TimeSpan MaxRestartDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a running plugin's health service is asked. Defaults to 5 seconds.</summary>
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one health check may take. Defaults to 5 seconds.</summary>
    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Failed health checks in a row after which a plugin counts as hung: it is killed and restarted. Defaults to 3.
    /// </summary>
    public int UnhealthyThreshold { get; set; } = 3;

    /// <summary>The most calls in flight to the plugin at once (a bulkhead). Defaults to 100.</summary>
    public int MaxConcurrentCalls { get; set; } = 100;

    /// <summary>
    /// Calls that wait for a free slot when <see cref="MaxConcurrentCalls"/> are in flight; past it a call fails at once with
    /// <see cref="PluginErrorCode.ResourceExhausted"/>. Defaults to 1000.
    /// </summary>
    public int MaxQueuedCalls { get; set; } = 1000;

    /// <summary>
    /// Whether the plugin is a HashiCorp go-plugin gRPC plugin (built with go-plugin's <c>plugin.Serve</c>) rather than a
    /// GrpcPlugins one. In this mode the lifecycle service (GetMetadata, Init, Shutdown) is optional: a plugin without it
    /// is taken to be of <see cref="Type"/>, gets no Init (its <see cref="Config"/> is unused), and is stopped through
    /// go-plugin's <c>plugin.GRPCController/Shutdown</c>; what it writes through go-plugin's <c>plugin.GRPCStdio</c> is
    /// logged. Set <see cref="MagicCookieKey"/>, <see cref="MagicCookieValue"/> and <see cref="ProtocolVersions"/> to the
    /// application's <c>HandshakeConfig</c>. Defaults to false.
    /// </summary>
    public bool GoPlugin { get; set; }

    /// <summary>
    /// The environment variable of the magic cookie that tells the plugin a host started it (go-plugin's
    /// <c>HandshakeConfig.MagicCookieKey</c>). Defaults to null: GrpcPlugins' own, <see cref="PluginProtocol.MagicCookieKey"/>.
    /// </summary>
    public string? MagicCookieKey { get; set; }

    /// <summary>
    /// The magic cookie's value (go-plugin's <c>HandshakeConfig.MagicCookieValue</c>). Defaults to null: GrpcPlugins' own,
    /// <see cref="PluginProtocol.MagicCookieValue"/>. Set it together with <see cref="MagicCookieKey"/>.
    /// </summary>
    public string? MagicCookieValue { get; set; }

    /// <summary>
    /// The app protocol versions offered to the plugin in <c>PLUGIN_PROTOCOL_VERSIONS</c> and accepted in its handshake
    /// (go-plugin's <c>HandshakeConfig.ProtocolVersion</c>, or the keys of its <c>VersionedPlugins</c>). Defaults to empty:
    /// the versions this host speaks (<see cref="PluginProtocol.AppProtocolVersions"/>).
    /// </summary>
    public List<int> ProtocolVersions { get; set; } = [];

    /// <summary>
    /// The host callbacks the plugin may call (docs/protocol.md, "Host callbacks"): <c>files.read</c> (read a stored
    /// file), <c>kv</c> (its own key-value store), <c>log</c> (structured logs and events). A call outside these is refused
    /// with PermissionDenied. Used only when the application serves callbacks (<c>AddGrpcPluginsHostCallbacks</c>).
    /// Defaults to none.
    /// </summary>
    public List<string> HostCallbacks { get; set; } = [];

    /// <summary>
    /// Attaches to a plugin that already runs as its own service, over TCP with mutual TLS pinned by configuration,
    /// instead of starting a process: see <see cref="PluginRemoteOptions"/>. <see cref="Command"/>, <see cref="Args"/>,
    /// <see cref="Environment"/>, <see cref="Sandbox"/> and the data channel do not apply; health supervision does, and
    /// a plugin that stops answering is reconnected to with backoff (never given up on while <see cref="RestartOnCrash"/>).
    /// Bound from the plugin's <c>Remote</c> section. Defaults to null: the host starts the plugin as a child process.
    /// </summary>
    public PluginRemoteOptions? Remote { get; set; }

    /// <summary>
    /// What the plugin may use (memory, CPU, processes, open files, files, network), enforced by the host at every launch;
    /// see <see cref="PluginSandboxOptions"/>. Bound from the plugin's <c>Sandbox</c> section. Defaults to nothing
    /// declared: the plugin runs unconfined.
    /// </summary>
    public PluginSandboxOptions Sandbox { get; set; } = new();

    /// <summary>The deadline <see cref="MethodTimeouts"/> sets for a method, by its full or short name; null when it sets none.</summary>
    /// <param name="method">The method's name (<c>Stats</c>) or full name (<c>/grpcplugins.storage.v1.StorageService/Stats</c>).</param>
    /// <returns>The configured deadline, or null.</returns>
    public TimeSpan? TimeoutOf(string method)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (MethodTimeouts.TryGetValue(method, out var timeout))
        {
            return timeout;
        }

        var shortName = method[(method.LastIndexOf('/') + 1)..];
        return MethodTimeouts.TryGetValue(shortName, out timeout) ? timeout : null;
    }

    /// <summary>The type the plugin runs as: <see cref="Type"/>, or Custom when only <see cref="Services"/> is set.</summary>
    internal PluginType EffectiveType => Type == PluginType.Unspecified && Services.Count > 0 ? PluginType.Custom : Type;

    /// <summary>
    /// Every service the plugin must serve when it speaks <paramref name="appVersion"/>: the one its built-in type
    /// implies in that version, then <see cref="Services"/>.
    /// </summary>
    internal IReadOnlyList<string> RequiredServices(int appVersion) =>
        [.. (ServiceNames.Of(Type, appVersion) is { } implied ? [implied] : Array.Empty<string>()).Concat(Services).Distinct(StringComparer.Ordinal)];

    /// <summary>Whether <see cref="IdempotentMethods"/> lists a method, by its full name (<c>/package.Service/Method</c>) or short name.</summary>
    internal bool IsIdempotent(string fullName)
    {
        var shortName = fullName[(fullName.LastIndexOf('/') + 1)..];
        return IdempotentMethods.Exists(m => m == fullName || m == shortName || "/" + m == fullName);
    }

    private IEnumerable<string> ValidateRemote(string who)
    {
        foreach (var problem in Remote!.Validate(who))
        {
            yield return problem;
        }

        if (!string.IsNullOrWhiteSpace(Command) || GoPlugin || Sandbox.IsDeclared)
        {
            yield return $"{who} has a Remote section and also Command, GoPlugin or Sandbox: a remote plugin runs as its own service, which the host neither starts nor sandboxes. Remove those settings, or the Remote section to start the plugin locally.";
        }
    }

    /// <summary>Checks the options and returns what is wrong with them, one line each.</summary>
    /// <returns>The problems; empty when the options are valid.</returns>
    public IEnumerable<string> Validate()
    {
        var who = string.IsNullOrWhiteSpace(Name) ? "A plugin" : $"Plugin '{Name}'";
        if (string.IsNullOrWhiteSpace(Name))
        {
            yield return "A plugin has no Name: give each entry of the Plugins section a unique name.";
        }

        if (EffectiveType == PluginType.Unspecified || !Enum.IsDefined(Type))
        {
            yield return $"{who} has no valid Type: use Auth, Storage, Protocol or Monitor, or list the gRPC services it serves in Services.";
        }
        else if (EffectiveType == PluginType.Custom && Services.Count == 0)
        {
            yield return $"{who} has Type Custom but no Services: list the fully-qualified names of the gRPC services it serves, such as 'mycompany.scanner.v1.ScannerService'.";
        }

        if (Services.Where(s => !ServiceNames.IsWellFormed(s)).ToList() is { Count: > 0 } malformed)
        {
            yield return $"{who} has malformed Services ({string.Join(", ", malformed.Select(s => $"'{s}'"))}): give each as the service's fully-qualified Protobuf name, package then service, such as 'mycompany.scanner.v1.ScannerService', with no slash and no method.";
        }

        if (Remote is not null)
        {
            foreach (var problem in ValidateRemote(who))
            {
                yield return problem;
            }
        }
        else if (string.IsNullOrWhiteSpace(Command))
        {
            yield return $"{who} has no Command: set the plugin's executable or .dll.";
        }

        if (Transport is not (null or "" or HandshakeLine.UnixNetwork or HandshakeLine.TcpNetwork))
        {
            yield return $"{who} has Transport '{Transport}': use 'unix' or 'tcp'.";
        }

        if (!string.IsNullOrEmpty(Checksum) && !PluginChecksum.TryParse(Checksum, out _))
        {
            yield return $"{who} has Checksum '{Checksum}': use 'sha256:' followed by the 64 hex digits of the file's SHA-256 (sha256sum prints them).";
        }

        if (StartTimeout <= TimeSpan.Zero || CallTimeout <= TimeSpan.Zero || ShutdownGracePeriod < TimeSpan.Zero || DrainTimeout < TimeSpan.Zero)
        {
            yield return $"{who} has a zero or negative timeout: StartTimeout and CallTimeout must be positive, ShutdownGracePeriod and DrainTimeout zero or more.";
        }

        if (MethodTimeouts.Any(t => t.Value <= TimeSpan.Zero) || HealthCheckInterval <= TimeSpan.Zero || HealthCheckTimeout <= TimeSpan.Zero
            || RestartDelay < TimeSpan.Zero || MaxRestartDelay < RestartDelay || RestartWindow <= TimeSpan.Zero)
        {
            yield return $"{who} has a zero or negative supervision timing: MethodTimeouts, HealthCheckInterval, HealthCheckTimeout and RestartWindow must be positive, and MaxRestartDelay at least RestartDelay.";
        }

        if (MaxRestarts < 0 || UnhealthyThreshold < 1 || MaxConcurrentCalls < 1 || MaxQueuedCalls < 0)
        {
            yield return $"{who} has MaxRestarts {MaxRestarts}, UnhealthyThreshold {UnhealthyThreshold}, MaxConcurrentCalls {MaxConcurrentCalls} and MaxQueuedCalls {MaxQueuedCalls}: use MaxRestarts >= 0, UnhealthyThreshold >= 1, MaxConcurrentCalls >= 1 and MaxQueuedCalls >= 0.";
        }

        if (string.IsNullOrEmpty(MagicCookieKey) != string.IsNullOrEmpty(MagicCookieValue))
        {
            yield return $"{who} sets only one of MagicCookieKey and MagicCookieValue: set both (go-plugin's HandshakeConfig), or neither for GrpcPlugins' own cookie.";
        }

        if (ProtocolVersions.Any(v => v < 1))
        {
            yield return $"{who} has ProtocolVersions [{string.Join(", ", ProtocolVersions)}]: each must be 1 or more.";
        }

        foreach (var problem in Sandbox.Validate(who))
        {
            yield return problem;
        }

        if (Sandbox.Network == SandboxNetwork.None && Transport == HandshakeLine.TcpNetwork)
        {
            yield return $"{who} has Sandbox.Network None and Transport 'tcp': a plugin without network cannot be reached over TCP; use the 'unix' transport.";
        }

        if (ChunkSize <= 0 || ChunkSize > MaxMessageSize - 1024)
        {
            yield return $"{who} has ChunkSize {ChunkSize}: it must be positive and at least 1 KiB below MaxMessageSize ({MaxMessageSize}).";
        }
    }
}

/// <summary>
/// The host's plugin settings. <c>AddGrpcPlugins</c> binds <see cref="Plugins"/> from the <c>Plugins</c> section,
/// keyed by plugin name, and the rest from the <c>GrpcPlugins</c> section.
/// </summary>
public sealed class GrpcPluginsOptions
{
    /// <summary>The configuration section holding the plugins, keyed by name.</summary>
    public const string PluginsSectionName = "Plugins";

    /// <summary>The configuration section holding the other settings.</summary>
    public const string SectionName = "GrpcPlugins";

    /// <summary>The plugins to start with the host, keyed by name. Defaults to none.</summary>
    public Dictionary<string, PluginOptions> Plugins { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The folder relative plugin commands are resolved against. Defaults to the host's base directory.</summary>
    public string BaseDirectory { get; set; } = AppContext.BaseDirectory;

    /// <summary>The parent folder of plugins' private socket folders. Defaults to the system's temp folder.</summary>
    public string? SocketDirectory { get; set; }

    /// <summary>
    /// The host environment variables every plugin inherits, besides <see cref="EnvironmentAllowList"/>: what a program,
    /// and <c>dotnet</c>, need to run (PATH, HOME, locale, temp folder, <c>DOTNET_*</c>, TLS trust). A trailing <c>*</c>
    /// matches any suffix.
    /// </summary>
    public static IReadOnlyList<string> DefaultEnvironmentAllowList { get; } =
    [
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "LC_*", "TZ", "TMPDIR", "TEMP", "TMP", "XDG_RUNTIME_DIR",
        "DOTNET_*", "SSL_CERT_*", "OTEL_*",
        "SystemRoot", "SystemDrive", "windir", "ComSpec", "PATHEXT", "USERPROFILE", "APPDATA", "LOCALAPPDATA", "ProgramData",
        "ProgramFiles", "ProgramFiles(x86)", "ProgramW6432", "CommonProgramFiles", "NUMBER_OF_PROCESSORS", "PROCESSOR_ARCHITECTURE",
    ];

    /// <summary>
    /// More host environment variables that plugins inherit, besides <see cref="DefaultEnvironmentAllowList"/>, such as
    /// <c>OTEL_*</c> or <c>HTTPS_PROXY</c>. A trailing <c>*</c> matches any suffix. Every other host variable is withheld,
    /// so host secrets do not leak into plugins; give a plugin what it needs through its own <see cref="PluginOptions.Environment"/>
    /// or Config. Defaults to none.
    /// </summary>
    public List<string> EnvironmentAllowList { get; set; } = [];

    /// <summary>
    /// Hooks called at every launch of every plugin, which may add environment variables (such as the host callbacks'
    /// address and token). Not bound from configuration; libraries add theirs. Defaults to none.
    /// </summary>
    public List<IPluginLaunchHook> LaunchHooks { get; set; } = [];
}
