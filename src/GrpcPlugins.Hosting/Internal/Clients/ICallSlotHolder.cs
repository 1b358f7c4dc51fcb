namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// The result of a call that outlives <see cref="PluginClient"/>'s call method, such as a download or a streaming call:
/// it holds the call's bulkhead slot, and its place among the calls in flight, until the call really ends.
/// </summary>
internal interface ICallSlotHolder
{
    /// <summary>Takes the slot; the holder disposes it, once, when its call ends.</summary>
    void HoldUntilDisposed(IDisposable slot);
}
