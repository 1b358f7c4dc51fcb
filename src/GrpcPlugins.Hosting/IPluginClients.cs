using GrpcPlugins.Auth.V1;
using GrpcPlugins.Hosting.Internal;
using GrpcPlugins.Monitor.V2;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Protocol.V1;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.Hosting;

/// <summary>
/// Calls an auth plugin. Every method throws <see cref="PluginException"/> on failure: the plugin's own code,
/// <see cref="PluginErrorCode.Unavailable"/> when it is not running, <see cref="PluginErrorCode.Timeout"/> when the deadline passed.
/// Each <c>CancellationToken</c> cancels the call in the plugin too.
/// </summary>
public interface IAuthPlugin
{
    /// <summary>Checks credentials and issues a token.</summary>
    /// <param name="request">The credentials.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The issued token and its user.</returns>
    Task<AuthResult> AuthenticateAsync(AuthenticateRequest request, CancellationToken cancellationToken = default);

    /// <summary>Says whether a token's holder may perform an action on a resource.</summary>
    /// <param name="token">The bearer token.</param>
    /// <param name="resource">What is acted on.</param>
    /// <param name="action">What the caller wants to do.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The decision and the token's user.</returns>
    Task<AuthorizeResponse> AuthorizeAsync(string token, string resource, Auth.V1.Action action, CancellationToken cancellationToken = default);

    /// <summary>Exchanges a refresh token for a new token.</summary>
    /// <param name="refreshToken">The refresh token.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new token.</returns>
    Task<AuthResult> RefreshAsync(string refreshToken, CancellationToken cancellationToken = default);

    /// <summary>Invalidates a token.</summary>
    /// <param name="token">The token or refresh token.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the token is revoked.</returns>
    Task RevokeAsync(string token, CancellationToken cancellationToken = default);
}

/// <summary>
/// Calls a storage plugin. Content moves as .NET streams in chunks, so memory stays flat whatever the size.
/// Every method throws <see cref="PluginException"/> on failure; each <c>CancellationToken</c> cancels the call in the plugin too.
/// </summary>
public interface IStoragePlugin
{
    /// <summary>Stores content read from <paramref name="content"/> to its end.</summary>
    /// <param name="metadata">The content's name, type and custom values.</param>
    /// <param name="content">The content.</param>
    /// <param name="cancellationToken">Cancels the call; the plugin then stores nothing.</param>
    /// <returns>The new id and the stored metadata.</returns>
    Task<StoreResponse> StoreAsync(ObjectMetadata metadata, Stream content, CancellationToken cancellationToken = default);

    /// <summary>Opens stored content. Dispose the result to end the call.</summary>
    /// <param name="id">The id Store returned.</param>
    /// <param name="offset">The first byte to read.</param>
    /// <param name="length">How many bytes to read; zero reads to the end.</param>
    /// <param name="cancellationToken">Cancels the call, including reads of the content.</param>
    /// <returns>The metadata and a stream of the content.</returns>
    Task<PluginDownload> RetrieveAsync(string id, long offset = 0, long length = 0, CancellationToken cancellationToken = default);

    /// <summary>Deletes stored content.</summary>
    /// <param name="id">The id Store returned.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the content is deleted.</returns>
    Task DeleteAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Lists stored items a page at a time.</summary>
    /// <param name="request">The prefix, limit and page token.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One page of items.</returns>
    Task<ListResponse> ListAsync(ListRequest request, CancellationToken cancellationToken = default);

    /// <summary>Reports how many items and bytes are stored.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The statistics.</returns>
    Task<StatsResponse> StatsAsync(CancellationToken cancellationToken = default);
}

/// <summary>Calls a protocol plugin. Every method throws <see cref="PluginException"/> on failure.</summary>
public interface IProtocolPlugin
{
    /// <summary>Starts sending a file.</summary>
    /// <param name="request">The file, destination and options.</param>
    /// <param name="cancellationToken">Cancels the call (not the transfer; use <see cref="CancelAsync"/>).</param>
    /// <returns>The started transfer.</returns>
    Task<Transfer> SendAsync(SendRequest request, CancellationToken cancellationToken = default);

    /// <summary>Starts pulling a file.</summary>
    /// <param name="request">The source, output folder and options.</param>
    /// <param name="cancellationToken">Cancels the call (not the transfer).</param>
    /// <returns>The started transfer.</returns>
    Task<Transfer> ReceiveAsync(ReceiveRequest request, CancellationToken cancellationToken = default);

    /// <summary>Gets a transfer's state.</summary>
    /// <param name="id">The transfer's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The transfer.</returns>
    Task<Transfer> StatusAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Stops a transfer.</summary>
    /// <param name="id">The transfer's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The transfer after cancelling.</returns>
    Task<Transfer> CancelAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Continues a cancelled or failed transfer from the receiver's acknowledged offset.</summary>
    /// <param name="id">The transfer's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The resumed transfer.</returns>
    Task<Transfer> ResumeAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Continues a cancelled or failed transfer, replacing options of the original request such as expired credentials.
    /// </summary>
    /// <param name="request">The transfer's id and the options to replace.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The resumed transfer.</returns>
    Task<Transfer> ResumeAsync(ResumeRequest request, CancellationToken cancellationToken = default);

    /// <summary>Follows a transfer until it completes, fails or is cancelled.</summary>
    /// <param name="id">The transfer's id.</param>
    /// <param name="cancellationToken">Stops following.</param>
    /// <returns>The transfer's state at each change.</returns>
    IAsyncEnumerable<Transfer> WatchTransferAsync(string id, CancellationToken cancellationToken = default);
}

/// <summary>Calls a monitor plugin. Every method throws <see cref="PluginException"/> on failure.</summary>
public interface IMonitorPlugin
{
    /// <summary>Records that a transfer started.</summary>
    /// <param name="transfer">The transfer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the plugin has the event.</returns>
    Task TransferStartedAsync(Transfer transfer, CancellationToken cancellationToken = default);

    /// <summary>Records a transfer's progress.</summary>
    /// <param name="transfer">The transfer.</param>
    /// <param name="progress">The fraction done, from 0 to 1.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the plugin has the event.</returns>
    Task TransferProgressAsync(Transfer transfer, double progress, CancellationToken cancellationToken = default);

    /// <summary>Records that a transfer completed.</summary>
    /// <param name="transfer">The transfer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the plugin has the event.</returns>
    Task TransferCompletedAsync(Transfer transfer, CancellationToken cancellationToken = default);

    /// <summary>Records that a transfer failed.</summary>
    /// <param name="transfer">The transfer.</param>
    /// <param name="error">Why it failed.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the plugin has the event.</returns>
    Task TransferFailedAsync(Transfer transfer, PluginError error, CancellationToken cancellationToken = default);

    /// <summary>Records a custom metric value.</summary>
    /// <param name="name">The metric's name.</param>
    /// <param name="value">The value.</param>
    /// <param name="tags">The metric's dimensions.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the plugin has the value.</returns>
    Task RecordMetricAsync(string name, double value, IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Delivers a batch of events, made with <see cref="MonitorEvents"/>, in order. A monitor that speaks API v2 takes
    /// the whole batch in one call, which is how a host reaches high event rates; a v1 monitor gets one call per event,
    /// each with its event's context. The single-event methods above are one-event batches.
    /// </summary>
    /// <param name="events">The events, oldest first. An empty batch sends nothing.</param>
    /// <param name="cancellationToken">Cancels the delivery; a v1 monitor may then have taken only the first events.</param>
    /// <returns>A task that completes when the plugin has every event.</returns>
    /// <exception cref="ArgumentException">An event is empty (has no event set).</exception>
    Task PublishAsync(IReadOnlyList<MonitorEvent> events, CancellationToken cancellationToken = default);
}

/// <summary>Content being read from a storage plugin. Dispose it to end the call.</summary>
public sealed class PluginDownload : IAsyncDisposable, IDisposable, ICallSlotHolder
{
    private readonly IDisposable _call;
    private IDisposable? _slot;

    internal PluginDownload(ObjectMetadata metadata, Stream content, IDisposable call)
    {
        Metadata = metadata;
        Content = content;
        _call = call;
    }

    /// <summary>The metadata of the whole content.</summary>
    public ObjectMetadata Metadata { get; }

    /// <summary>The requested bytes, read chunk by chunk from the plugin.</summary>
    public Stream Content { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Content.Dispose();
        _call.Dispose();
        Interlocked.Exchange(ref _slot, null)?.Dispose();
    }

    // The bulkhead slot of the call, given back when the download is disposed.
    void ICallSlotHolder.HoldUntilDisposed(IDisposable slot) => _slot = slot;

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
