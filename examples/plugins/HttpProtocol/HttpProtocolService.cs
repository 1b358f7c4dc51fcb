using System.Collections.Concurrent;
using System.Globalization;
using Grpc.Core;
using GrpcPlugins;
using GrpcPlugins.Protocol.V1;
using GrpcPlugins.Sdk;
using HttpProtocol.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HttpProtocol;

/// <summary>
/// A protocol plugin that moves files between file-transfer hosts over their HTTP API. Send pushes a file that the
/// sending host serves at <c>SendRequest.file</c> to the receiving host's resumable uploads
/// (<c>destination</c>/v1/uploads); Receive pulls a file from a URL into a local folder. Transfers run in the
/// background, survive a receiver that goes away (retries, then Resume from the receiver's acknowledged offset),
/// and report progress through Status and WatchTransfer. Given the host callback <c>kv</c>, sends are kept in the
/// host's key-value store and survive the plugin's restart and upgrade: a send that was running goes on by itself.
/// </summary>
/// <remarks>
/// Request properties: <c>file_id</c> (read the file through the host's callbacks instead of its URL), <c>source_token</c>
/// and <c>destination_token</c> (bearer tokens for each host), <c>name</c>,
/// <c>size</c> and <c>sha256</c> of the file. Config: <c>chunk_size</c>, <c>max_retries</c>,
/// <c>throttle_bytes_per_second</c>, <c>request_timeout_seconds</c> and <c>retry_delay_ms</c>.
/// </remarks>
/// <param name="logger">Receives each transfer's start, retries and end.</param>
/// <param name="host">The host's callbacks: the file to send is read through them when the host gives its <c>file_id</c>.</param>
/// <param name="settings">The Init config, bound and validated by the SDK before <see cref="InitAsync"/> runs.</param>
/// <param name="clients">Makes the client for remote hosts, with its per-request timeout (<see cref="RemoteHttpClient"/>).</param>
public sealed class HttpProtocolService(ILogger<HttpProtocolService> logger, IHostCallbacks host, IOptionsMonitor<HttpProtocolSettings> settings, IHttpClientFactory clients)
    : ProtocolService.ProtocolServiceBase, IPluginLifecycle, IDisposable
{
    private readonly ConcurrentDictionary<string, TransferJob> _jobs = new(StringComparer.Ordinal);
    private readonly TransferStore _store = new(host, logger);
    private int _restored;
    private readonly HttpClient _http = clients.CreateClient(RemoteHttpClient.Name);
    private volatile Configured? _ready;

    /// <inheritdoc />
    public async Task InitAsync(IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        var current = settings.CurrentValue;
        var old = _ready;
        var ready = new Configured(current, new RemoteHttp(_http, current.RequestTimeout), new ByteThrottle(current.ThrottleBytesPerSecond, current.ChunkSize));
        _ready = ready;
        old?.Throttle.Dispose();
        if (Interlocked.Exchange(ref _restored, 1) == 0)
        {
            await RestoreAsync(ready, cancellationToken);
        }
    }

    /// <inheritdoc />
    public async Task ShutdownAsync(CancellationToken cancellationToken)
    {
        // Sends cancelled because the plugin stops stay kept as running, so the next start goes on with them.
        _store.Freeze();
        var active = _jobs.Values.Where(job => job.Snapshot().Status is TransferStatus.Active or TransferStatus.Pending);
        await Task.WhenAll(active.Select(job => job.CancelAsync("the plugin stopped; resume the transfer once it is back").ContinueWith(_ => { }, TaskScheduler.Default)));
    }

    /// <inheritdoc />
    public override Task<SendResponse> Send(SendRequest request, ServerCallContext context)
    {
        var ready = Ready();
        var source = HttpUrl(request.File, "file");
        var destination = HttpUrl(request.Destination, "destination", asBase: true);
        var options = request.Options ?? new TransferOptions();
        var properties = new TransferProperties(options.Properties);
        var file = new SendWork.FileFacts(
            options.Properties.GetValueOrDefault("name") is { Length: > 0 } name ? name : LastSegment(source),
            Size(options.Properties),
            options.Properties.GetValueOrDefault("sha256", string.Empty));
        var chunk = ready.Settings.ChunkSizeFor(options.ChunkSize);
        var fileId = options.Properties.GetValueOrDefault("file_id");
        var work = new SendWork(ready.Remote, source, destination, file, properties, chunk, ready.Throttle, host, fileId);
        var job = Add(new TransferJob(TransferId(request.TransferId), request.File, request.Destination, file.Size, work, ready.Settings, logger, _store.Changed));
        return Task.FromResult(new SendResponse { Transfer = job.Start() });
    }

    /// <inheritdoc />
    public override Task<ReceiveResponse> Receive(ReceiveRequest request, ServerCallContext context)
    {
        var ready = Ready();
        var source = HttpUrl(request.Source, "source");
        var options = request.Options ?? new TransferOptions();
        var folder = OutputFolder(request.OutputDir);
        var name = options.Properties.GetValueOrDefault("name") is { Length: > 0 } given ? given : LastSegment(source);
        if (Path.GetFileName(name) != name || name is "." or "..")
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, $"The name '{name}' is not a plain file name; set the 'name' property to a name without folders.");
        }

        var target = Path.Combine(folder, name);
        if (File.Exists(target) && !options.Overwrite)
        {
            throw new PluginException(PluginErrorCode.AlreadyExists, $"{target} already exists; set overwrite to replace it.");
        }

        var size = options.Properties.ContainsKey("size") ? Size(options.Properties) : 0;
        var work = new ReceiveWork(ready.Remote, source, target, options.Properties.GetValueOrDefault("sha256", string.Empty), options.Overwrite, new TransferProperties(options.Properties), ready.Settings.ChunkSizeFor(options.ChunkSize), ready.Throttle);
        var job = Add(new TransferJob(TransferId(request.TransferId), request.Source, target, size, work, ready.Settings, logger));
        return Task.FromResult(new ReceiveResponse { Transfer = job.Start() });
    }

    /// <inheritdoc />
    public override Task<StatusResponse> Status(StatusRequest request, ServerCallContext context) =>
        Task.FromResult(new StatusResponse { Transfer = Find(request.Id).Snapshot() });

    /// <inheritdoc />
    public override async Task<CancelResponse> Cancel(CancelRequest request, ServerCallContext context) =>
        new() { Transfer = await Find(request.Id).CancelAsync("cancelled on request") };

    /// <inheritdoc />
    public override async Task<ResumeResponse> Resume(ResumeRequest request, ServerCallContext context)
    {
        var transfer = await Find(request.Id).ResumeAsync(request.Options, context.CancellationToken);
        HttpProtocolLog.Resumed(logger, transfer.Id, transfer.BytesTransferred);
        return new ResumeResponse { Transfer = transfer };
    }

    /// <inheritdoc />
    public override async Task WatchTransfer(WatchTransferRequest request, IServerStreamWriter<WatchTransferResponse> responseStream, ServerCallContext context)
    {
        await foreach (var transfer in Find(request.Id).WatchAsync(context.CancellationToken))
        {
            await responseStream.WriteAsync(new WatchTransferResponse { Transfer = transfer }, context.CancellationToken);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _ready?.Throttle.Dispose();
        _http.Dispose();
    }

    private Configured Ready() => _ready ?? throw new PluginException(PluginErrorCode.FailedPrecondition, "The plugin is not initialized; the host must call Init first.");

    private TransferJob Add(TransferJob job)
    {
        if (!_jobs.TryAdd(job.Id, job))
        {
            throw new PluginException(PluginErrorCode.AlreadyExists, $"A transfer with id '{job.Id}' exists already; use Resume to continue it, or another id.");
        }

        var transfer = job.Snapshot();
        HttpProtocolLog.Started(logger, job.Id, transfer.File, transfer.Destination);
        return job;
    }

    private TransferJob Find(string id) =>
        _jobs.TryGetValue(id, out var job)
            ? job
            : throw new PluginException(PluginErrorCode.NotFound, $"No transfer has id '{id}'. Sends are kept across restarts only when the plugin has the host callback kv; receives only while it runs.") { Metadata = new Dictionary<string, string> { ["id"] = id } };

    // Sends a previous run kept: finished ones answer Status again, running ones go on from the receiver's offset.
    private async Task RestoreAsync(Configured ready, CancellationToken cancellationToken)
    {
        foreach (var saved in await _store.LoadAsync(cancellationToken))
        {
            var state = Transfer.Parser.ParseFrom(saved.Transfer);
            var send = saved.Send;
            var properties = new TransferProperties(new Dictionary<string, string> { ["destination_token"] = send.DestinationToken });
            var work = new SendWork(
                ready.Remote, new Uri(send.Source), new Uri(send.Destination), new SendWork.FileFacts(send.Name, send.Size, send.Sha256),
                properties, send.ChunkSize, ready.Throttle, host, send.FileId, send.UploadId);
            var job = new TransferJob(state.Id, state.File, state.Destination, state.TotalBytes, work, ready.Settings, logger, _store.Changed, state);
            if (_jobs.TryAdd(job.Id, job))
            {
                var restored = job.Restore();
                HttpProtocolLog.Restored(logger, job.Id, restored.Status.ToString(), restored.BytesTransferred);
            }
        }
    }

    private static string TransferId(string requested) => string.IsNullOrEmpty(requested) ? Guid.NewGuid().ToString("N") : requested;

    private static Uri HttpUrl(string text, string field, bool asBase = false)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, $"{field} must be an absolute http:// or https:// URL, not '{text}'.");
        }

        // A base URL needs its final slash, or relative paths replace its last segment.
        return asBase && !url.AbsolutePath.EndsWith('/') ? new Uri(url + "/") : url;
    }

    private static string LastSegment(Uri url) => Uri.UnescapeDataString(url.Segments[^1].TrimEnd('/'));

    private static long Size(IDictionary<string, string> properties) =>
        properties.TryGetValue("size", out var text) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var size)
            ? size
            : throw new PluginException(PluginErrorCode.InvalidArgument, $"The 'size' property must be the file's size in bytes, not '{text}'.");

    private static string OutputFolder(string folder)
    {
        if (string.IsNullOrEmpty(folder) || !Path.IsPathFullyQualified(folder))
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, $"output_dir must be an absolute folder path, not '{folder}'.");
        }

        try
        {
            return Directory.CreateDirectory(folder).FullName;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PluginException(PluginErrorCode.FailedPrecondition, $"Cannot create the output folder {folder}: {ex.Message}", ex);
        }
    }

    private sealed record Configured(HttpProtocolSettings Settings, RemoteHttp Remote, ByteThrottle Throttle);
}
