namespace GrpcPlugins;

/// <summary>
/// The constants of the GrpcPlugins wire protocol (docs/protocol.md): environment variables,
/// handshake values and metadata keys. Names follow HashiCorp go-plugin where it has one.
/// </summary>
public static class PluginProtocol
{
    /// <summary>The handshake's core protocol version, the first field of the handshake line; go-plugin's is also 1.</summary>
    public const int CoreProtocolVersion = 1;

    /// <summary>
    /// The newest app protocol version this release speaks: 2. In version 2 a monitor serves
    /// <c>grpcplugins.monitor.v2</c> (events in batches); in version 1 it serves <c>grpcplugins.monitor.v1</c> (one call
    /// per event). Auth, storage and protocol plugins serve their <c>v1</c> contracts in both versions.
    /// </summary>
    public const int AppProtocolVersion = 2;

    /// <summary>The oldest app protocol version this release still speaks: 1, so plugins built before version 2 keep working.</summary>
    public const int MinAppProtocolVersion = 1;

    /// <summary>Every app protocol version this release speaks, oldest first.</summary>
    public static IReadOnlyList<int> AppProtocolVersions { get; } =
        [.. Enumerable.Range(MinAppProtocolVersion, AppProtocolVersion - MinAppProtocolVersion + 1)];

    /// <summary>The environment variable that proves a plugin was started by a host.</summary>
    public const string MagicCookieKey = "GRPCPLUGINS_MAGIC_COOKIE";

    /// <summary>The value of <see cref="MagicCookieKey"/>. It is not a secret, only a guard against running a plugin by hand.</summary>
    public const string MagicCookieValue = "d3c1a5d3f0b74a4b9d2c6e8a1f5b7c90";

    /// <summary>The environment variable listing the app protocol versions the host speaks, comma separated (go-plugin).</summary>
    public const string ProtocolVersionsVariable = "PLUGIN_PROTOCOL_VERSIONS";

    /// <summary>The environment variable naming the folder for the plugin's Unix socket (go-plugin).</summary>
    public const string UnixSocketDirVariable = "PLUGIN_UNIX_SOCKET_DIR";

    /// <summary>The environment variable with the lowest TCP port a plugin may listen on (go-plugin).</summary>
    public const string MinPortVariable = "PLUGIN_MIN_PORT";

    /// <summary>The environment variable with the highest TCP port a plugin may listen on (go-plugin).</summary>
    public const string MaxPortVariable = "PLUGIN_MAX_PORT";

    /// <summary>The environment variable with the host's client certificate for AutoMTLS (go-plugin).</summary>
    public const string ClientCertVariable = "PLUGIN_CLIENT_CERT";

    /// <summary>The environment variable that forces a transport: "unix" or "tcp". Unset means Unix where available.</summary>
    public const string TransportVariable = "GRPCPLUGINS_TRANSPORT";

    /// <summary>
    /// The environment variable with which a host asks the plugin to exit when its stdin reaches end of file: "1" means
    /// watch stdin. A GrpcPlugins host sets it to "1" and holds the plugin's stdin open for as long as it runs. Any other
    /// value, or none, means do not watch: a HashiCorp go-plugin host hands the plugin its own stdin, often /dev/null.
    /// </summary>
    public const string StdinWatchVariable = "GRPCPLUGINS_STDIN_WATCH";

    /// <summary>The full name of HashiCorp go-plugin's controller service, whose Shutdown asks a plugin to exit.</summary>
    public const string GoPluginControllerServiceName = "plugin.GRPCController";

    /// <summary>The full name of HashiCorp go-plugin's stdio service, which streams a plugin's stdout and stderr to its host.</summary>
    public const string GoPluginStdioServiceName = "plugin.GRPCStdio";

    /// <summary>
    /// The host's process id. A plugin that sees it asks Linux for SIGTERM when its parent dies (PR_SET_PDEATHSIG) and
    /// exits at once if its parent is already another process. A host sets it only when it starts plugins from a thread
    /// that lives as long as the host, since the kernel sends that signal when the forking thread exits.
    /// </summary>
    public const string HostPidVariable = "GRPCPLUGINS_HOST_PID";

    /// <summary>The path of the host callbacks' Unix socket, set at launch when the host serves callbacks (docs/protocol.md).</summary>
    public const string HostCallbacksAddressVariable = "GRPCPLUGINS_HOST_CALLBACKS_ADDR";

    /// <summary>The secret token of this launch, which every host callback carries in <see cref="HostCallbacksTokenHeader"/>.</summary>
    public const string HostCallbacksTokenVariable = "GRPCPLUGINS_HOST_CALLBACKS_TOKEN";

    /// <summary>
    /// Set at launch, with <see cref="HostCallbacksAddressVariable"/>, when the launch uses AutoMTLS: the host callbacks
    /// server's certificate as PEM. Its presence means the callbacks socket speaks TLS: the plugin pins this exact
    /// certificate and presents its own AutoMTLS certificate (the one in its handshake) as its client certificate.
    /// </summary>
    public const string HostCallbacksCertVariable = "GRPCPLUGINS_HOST_CALLBACKS_CERT";

    /// <summary>
    /// Set at launch for a go-plugin plugin that has host callbacks: the go-plugin broker id (decimal) on which the host
    /// announces the callbacks' socket, right after it opens the broker stream. A Go plugin dials it with
    /// <c>broker.Dial(id)</c> at start (go-plugin forgets an announcement no one dials within 5 s) and keeps the connection.
    /// </summary>
    public const string HostCallbacksBrokerIdVariable = "GRPCPLUGINS_HOST_CALLBACKS_BROKER_ID";

    /// <summary>
    /// The go-plugin broker id of the host callbacks (<see cref="HostCallbacksBrokerIdVariable"/>): high, so that it never
    /// meets the ids a host counts up from 1 with <see cref="IPluginBroker.NextId"/>.
    /// </summary>
    public const uint HostCallbacksBrokerId = 0xFFFF0000;

    /// <summary>The call metadata key of the host callbacks token.</summary>
    public const string HostCallbacksTokenHeader = "x-grpcplugins-host-token";

    /// <summary>The health service name a plugin reports besides the overall "" (go-plugin uses "plugin").</summary>
    public const string HealthServiceName = "plugin";

    /// <summary>The full name of the lifecycle service every plugin serves.</summary>
    public const string LifecycleServiceName = "grpcplugins.plugin.v1.PluginService";

    /// <summary>The metadata key carrying the transfer id.</summary>
    public const string TransferIdHeader = "grpcplugins-transfer-id";

    /// <summary>The metadata key carrying the user id.</summary>
    public const string UserIdHeader = "grpcplugins-user-id";

    /// <summary>The metadata key carrying the request id.</summary>
    public const string RequestIdHeader = "grpcplugins-request-id";

    /// <summary>
    /// The metadata key of a Store or Retrieve call whose content goes over the plugin's data channel: its value is the
    /// token the host sent first on the data-channel connection that carries the bytes.
    /// </summary>
    public const string DataChannelHeader = "grpcplugins-data-channel";

    /// <summary>
    /// The metadata key of a Store call whose last message will be a <c>StoreEnd</c> (value <c>1</c>). A host sends the
    /// end marker, and this header, only to a storage plugin that declares <c>CAPABILITY_STORE_END</c>; a plugin that
    /// sees the header commits only after an end marker whose size and SHA-256 match the content that arrived.
    /// </summary>
    public const string StoreEndHeader = "grpcplugins-store-end";

    /// <summary>
    /// The metadata key of a Retrieve or Store call over the data channel whose host accepts an open file instead of the
    /// content's bytes (value <c>1</c>). A host sends it on a Retrieve only to a storage plugin that declares
    /// <c>CAPABILITY_DATA_CHANNEL_FILES</c>, and on a Store only to one that declares <c>CAPABILITY_DATA_CHANNEL_STORE_FILES</c>;
    /// such a plugin then begins the data channel with a mode byte: 0 and the bytes flow as usual, or 1 carrying a file
    /// descriptor (SCM_RIGHTS). On a Retrieve the host reads the content from that file (docs/protocol.md, "Passing the
    /// file"); on a Store it writes the content into it (docs/protocol.md, "Writing into the plugin's file").
    /// </summary>
    public const string DataChannelFilesHeader = "grpcplugins-data-channel-files";

    /// <summary>The length of a data-channel token: 32 lowercase hex digits, the first bytes of each data-channel connection.</summary>
    public const int DataChannelTokenLength = 32;

    /// <summary>Formats an app protocol version as a contract package version, such as "v1".</summary>
    /// <param name="version">The app protocol version.</param>
    /// <returns>The version's name.</returns>
    public static string ApiVersionName(int version) => $"v{version}";
}
