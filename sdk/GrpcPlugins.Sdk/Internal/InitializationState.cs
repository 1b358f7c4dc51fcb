namespace GrpcPlugins.Sdk.Internal;

/// <summary>Whether the host has called Init on this plugin process yet; until it has, calls of the plugin's type are refused.</summary>
internal sealed class InitializationState
{
    private volatile bool _initialized;

    public bool Initialized => _initialized;

    public void MarkInitialized() => _initialized = true;
}
