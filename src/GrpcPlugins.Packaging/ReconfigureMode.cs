namespace GrpcPlugins.Packaging;

/// <summary>How a running plugin takes a new configuration.</summary>
public enum ReconfigureMode
{
    /// <summary>The host calls Init again with the new configuration.</summary>
    Init,

    /// <summary>The host restarts the plugin, which reads the new configuration at its Init.</summary>
    Restart,
}
