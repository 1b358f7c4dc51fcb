namespace GrpcPlugins.Hosting;

/// <summary>The state of a plugin process as its host sees it.</summary>
public enum PluginState
{
    /// <summary>Not started, or stopped on purpose.</summary>
    Stopped,

    /// <summary>Launching: waiting for the handshake, health and Init.</summary>
    Starting,

    /// <summary>Healthy and taking calls.</summary>
    Running,

    /// <summary>Shutting down; new calls get Unavailable.</summary>
    Stopping,

    /// <summary>Exited without being asked to, or failed to start.</summary>
    Crashed,
}
