namespace GrpcPlugins.Sdk;

/// <summary>
/// The callbacks a plugin may make to its host (docs/protocol.md, "Host callbacks"): read stored files, keep durable
/// key-value state, and log and publish events, each within the grants the host's configuration or the plugin's package
/// manifest gives. Inject it into any service the plugin registers.
/// </summary>
public interface IHostCallbacks
{
    /// <summary>Whether the host offers callbacks to this launch; when false every call throws FailedPrecondition.</summary>
    bool IsAvailable { get; }

    /// <summary>Reads stored files (grant <c>files.read</c>).</summary>
    HostFiles Files { get; }

    /// <summary>The plugin's own durable key-value store (grant <c>kv</c>).</summary>
    HostKeyValue KeyValue { get; }

    /// <summary>Structured logs and events logged and handled by the host (grant <c>log</c>).</summary>
    HostLog Log { get; }
}
