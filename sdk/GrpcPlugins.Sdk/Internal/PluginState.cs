namespace GrpcPlugins.Sdk.Internal;

/// <summary>What the plugin process knows about itself while it runs.</summary>
internal sealed class PluginState
{
    private volatile bool _initialized;

    public bool Initialized => _initialized;

    public void MarkInitialized() => _initialized = true;
}
