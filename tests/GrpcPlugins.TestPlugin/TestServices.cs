using System.Collections.Concurrent;
using System.Diagnostics;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GrpcPlugins.Auth.V1;
using GrpcPlugins.Monitor.V1;
using GrpcPlugins.Protocol.V1;
using GrpcPlugins.Sdk;
using GrpcPlugins.Storage.V1;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.TestPlugin;

/// <summary>
/// Accepts alice/secret; Authorize answers with the context it received, so tests can check what reached the plugin.
/// Config changes it for auth-chain tests: <c>users</c> ("name:password,..."), <c>locked_user</c> (answered with
/// PermissionDenied), <c>roles</c> and <c>token</c> (what a sign-in returns and Authorize accepts).
/// With the config key "echo-env" it also lists the names of its environment variables.
/// </summary>
internal sealed class EchoAuth : AuthService.AuthServiceBase, IPluginLifecycle
{
    private IReadOnlyDictionary<string, string> _config = new Dictionary<string, string>();

    private string Token => _config.TryGetValue("token", out var token) ? token : "tok-alice";

    public Task InitAsync(IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        if (config.TryGetValue("reject", out var reason))
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, $"Config refused: {reason}");
        }

        _config = config;
        return Task.CompletedTask;
    }

    public override Task<AuthenticateResponse> Authenticate(AuthenticateRequest request, ServerCallContext context)
    {
        if (_config.TryGetValue("locked_user", out var locked) && request.Username == locked)
        {
            throw new PluginException(PluginErrorCode.PermissionDenied, $"The account '{locked}' is locked.");
        }

        var users = (_config.TryGetValue("users", out var list) ? list : "alice:secret").Split(',');
        if (request.Type == AuthType.Password && users.Contains($"{request.Username}:{request.Password}"))
        {
            var roles = (_config.TryGetValue("roles", out var named) ? named : "reader").Split(',');
            return Task.FromResult(new AuthenticateResponse
            {
                Result = new AuthResult
                {
                    Token = Token,
                    RefreshToken = "ref-alice",
                    ExpiresAt = Timestamp.FromDateTime(DateTime.UtcNow.AddHours(1)),
                    User = new User { Id = "u-1", Username = request.Username, Roles = { roles } },
                },
            });
        }

        throw new PluginException(PluginErrorCode.Unauthenticated, "Wrong username or password.");
    }

    public override async Task<AuthorizeResponse> Authorize(AuthorizeRequest request, ServerCallContext context)
    {
        if (request.Resource == "slow")
        {
            // Waits for the host's deadline or cancellation, which the SDK turns into Timeout or Cancelled.
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }

        if (request.Token != Token)
        {
            throw new PluginException(PluginErrorCode.Unauthenticated, "The token is unknown or expired.");
        }

        var call = context.GetPluginContext();
        var echo = string.Join(
            ';',
            $"transfer={call.TransferId}",
            $"user={call.UserId}",
            $"request={call.RequestId}",
            $"traceparent={context.RequestHeaders.GetValue("traceparent")}",
            $"deadline={(call.Deadline == DateTime.MaxValue ? "none" : "set")}",
            $"activity={Activity.Current?.TraceId}/{Activity.Current?.ParentSpanId}/{Activity.Current?.GetTagItem("grpcplugins.transfer_id")}",
            $"source={Activity.Current?.Source.Name}",
            $"baggage={string.Join(',', Activity.Current?.Baggage.Select(b => b.Key + "=" + b.Value) ?? [])}",
            $"config={string.Join(',', _config.Select(kv => kv.Key + "=" + kv.Value))}");
        if (_config.ContainsKey("echo-env"))
        {
            // The names of every variable the plugin process received, so tests can check what the host passed on.
            echo += ";env=" + string.Join(',', Environment.GetEnvironmentVariables().Keys.Cast<string>().Order(StringComparer.Ordinal));
        }

        return new AuthorizeResponse { Allowed = request.Action == Auth.V1.Action.Read, User = new User { Id = "u-1" }, Reason = echo };
    }

    public override Task<RefreshResponse> Refresh(RefreshRequest request, ServerCallContext context) =>
        request.RefreshToken == "ref-alice"
            ? Authenticate(new AuthenticateRequest { Type = AuthType.Password, Username = "alice", Password = "secret" }, context).ContinueWith(t => new RefreshResponse { Result = t.Result.Result }, TaskScheduler.Default)
            : throw new PluginException(PluginErrorCode.Unauthenticated, "The refresh token is unknown.");

    public override Task<RevokeResponse> Revoke(RevokeRequest request, ServerCallContext context) => Task.FromResult(new RevokeResponse());
}

/// <summary>In-memory storage. Some names trigger failures: "explode" (unexpected exception), "crash" (the process dies mid-call).</summary>
internal sealed class MemoryStorage(ILogger<MemoryStorage>? logger = null) : StorageService.StorageServiceBase
{
    private readonly ConcurrentDictionary<string, (ObjectMetadata Metadata, byte[] Content)> _items = new();

    public override async Task<StoreResponse> Store(IAsyncStreamReader<StoreRequest> requestStream, ServerCallContext context)
    {
        var upload = await requestStream.ReadStoreAsync(context.CancellationToken);
        if (upload.Metadata.Name == "explode")
        {
            throw new InvalidOperationException("internal detail that must not reach the host: connection string=secret");
        }

        if (upload.Metadata.Name == "throw-unhandled")
        {
            // An exception no one catches, on a thread of its own: the runtime prints it with its stack trace and the process dies.
            new Thread(() => throw new InvalidOperationException("storage exploded on a background thread")).Start();
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }

        using var buffer = new MemoryStream();
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var chunk = new byte[81920];
        int read;
        while ((read = await upload.Content.ReadAsync(chunk, context.CancellationToken)) > 0)
        {
            if (upload.Metadata.Name == "crash")
            {
                await Console.Error.WriteLineAsync("crashing on purpose in the middle of Store");
                Process.GetCurrentProcess().Kill();
            }

            buffer.Write(chunk, 0, read);
            hash.AppendData(chunk, 0, read);
        }

        var metadata = upload.Metadata.Clone();
        metadata.Size = buffer.Length;
        metadata.CreatedAt = Timestamp.FromDateTime(DateTime.UtcNow);
        metadata.Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
        var id = Guid.NewGuid().ToString("N");
        _items[id] = (metadata, buffer.ToArray());
        if (logger is not null)
        {
            TestPluginLog.Stored(logger, metadata.Name, metadata.Size);
        }

        return new StoreResponse { Id = id, Metadata = metadata };
    }

    public override async Task Retrieve(RetrieveRequest request, IServerStreamWriter<RetrieveResponse> responseStream, ServerCallContext context)
    {
        if (request.Id == "slow")
        {
            await responseStream.WriteAsync(new RetrieveResponse { Metadata = new ObjectMetadata { Name = "slow" } });
            await responseStream.WriteAsync(new RetrieveResponse { Chunk = ByteString.CopyFrom(new byte[1024]) });
            try
            {
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                await Console.Error.WriteLineAsync("Retrieve of 'slow' was cancelled by the host");
                throw;
            }
        }

        var (metadata, content) = Find(request.Id);
        var length = request.Length == 0 ? content.Length - request.Offset : request.Length;
        using var stream = new MemoryStream(content, (int)request.Offset, (int)length, writable: false);
        try
        {
            await responseStream.WriteRetrieveAsync(metadata, stream, null, context.CancellationToken);
        }
        catch (Exception ex)
        {
            // Says how the call ended for the host's tests: a host that stops reading must look like a cancellation.
            await Console.Error.WriteLineAsync($"Retrieve of '{metadata.Name}' stopped: {(ex is PluginException plugin ? $"PluginException {plugin.Code}" : ex.GetType().Name)}");
            throw;
        }
    }

    public override Task<StatResponse> Stat(StatRequest request, ServerCallContext context) =>
        Task.FromResult(new StatResponse { Metadata = Find(request.Id).Metadata });

    public override Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context)
    {
        Find(request.Id);
        _items.TryRemove(request.Id, out _);
        return Task.FromResult(new DeleteResponse());
    }

    public override Task<ListResponse> List(ListRequest request, ServerCallContext context)
    {
        // In name order (ids break ties); a page token is the name and id of the page's last item, and the next page
        // starts after it, so items stored or deleted between pages neither repeat nor shift the rest.
        var after = request.PageToken.Length == 0 ? null : PageToken.Parse(request.PageToken);
        var items = _items
            .Where(kv => kv.Value.Metadata.Name.StartsWith(request.Prefix, StringComparison.Ordinal))
            .Select(kv => (Token: new PageToken(kv.Value.Metadata.Name, kv.Key), Item: new Item { Id = kv.Key, Metadata = kv.Value.Metadata }))
            .Where(entry => after is null || entry.Token.CompareTo(after) > 0)
            .OrderBy(entry => entry.Token)
            .ToList();
        var response = new ListResponse();
        if (request.Limit > 0 && items.Count > request.Limit)
        {
            items = items[..request.Limit];
            response.NextPageToken = items[^1].Token.ToString();
        }

        response.Items.Add(items.Select(entry => entry.Item));
        return Task.FromResult(response);
    }

    public override Task<StatsResponse> Stats(StatsRequest request, ServerCallContext context) =>
        Task.FromResult(new StatsResponse { TotalItems = _items.Count, TotalSize = _items.Values.Sum(v => v.Content.LongLength) });

    private (ObjectMetadata Metadata, byte[] Content) Find(string id) =>
        _items.TryGetValue(id, out var item)
            ? item
            : throw new PluginException(PluginErrorCode.NotFound, $"No stored item has id '{id}'.") { Metadata = new Dictionary<string, string> { ["id"] = id } };
}

/// <summary>A protocol whose transfers complete at once; WatchTransfer reports active, then completed ("slow": active, then nothing until cancelled).</summary>
internal sealed class InstantProtocol : ProtocolService.ProtocolServiceBase
{
    private readonly ConcurrentDictionary<string, Transfer> _transfers = new();

    public override Task<SendResponse> Send(SendRequest request, ServerCallContext context) =>
        Task.FromResult(new SendResponse { Transfer = Complete(request.TransferId, request.File, request.Destination) });

    public override Task<ReceiveResponse> Receive(ReceiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ReceiveResponse { Transfer = Complete(request.TransferId, request.Source, request.OutputDir) });

    public override Task<StatusResponse> Status(StatusRequest request, ServerCallContext context) =>
        Task.FromResult(new StatusResponse { Transfer = Find(request.Id) });

    public override Task<CancelResponse> Cancel(CancelRequest request, ServerCallContext context) =>
        Find(request.Id).Status == TransferStatus.Completed
            ? throw new PluginException(PluginErrorCode.FailedPrecondition, $"Transfer '{request.Id}' is already completed.")
            : Task.FromResult(new CancelResponse { Transfer = Find(request.Id) });

    public override Task<ResumeResponse> Resume(ResumeRequest request, ServerCallContext context) =>
        Task.FromResult(new ResumeResponse { Transfer = Find(request.Id) });

    public override async Task WatchTransfer(WatchTransferRequest request, IServerStreamWriter<WatchTransferResponse> responseStream, ServerCallContext context)
    {
        if (request.Id == "slow")
        {
            // A transfer that never ends: one update, then the watch stays open until the host cancels it.
            await responseStream.WriteAsync(new WatchTransferResponse { Transfer = new Transfer { Id = "slow", Status = TransferStatus.Active } });
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }

        var done = Find(request.Id);
        var active = done.Clone();
        active.Status = TransferStatus.Active;
        active.Progress = 0.5;
        await responseStream.WriteAsync(new WatchTransferResponse { Transfer = active });
        await responseStream.WriteAsync(new WatchTransferResponse { Transfer = done });
    }

    private Transfer Complete(string id, string file, string destination)
    {
        var transfer = new Transfer
        {
            Id = string.IsNullOrEmpty(id) ? Guid.NewGuid().ToString("N") : id,
            Status = TransferStatus.Completed,
            Progress = 1,
            File = file,
            Destination = destination,
            StartedAt = Timestamp.FromDateTime(DateTime.UtcNow),
        };
        _transfers[transfer.Id] = transfer;
        return transfer;
    }

    private Transfer Find(string id) =>
        _transfers.TryGetValue(id, out var transfer) ? transfer : throw new PluginException(PluginErrorCode.NotFound, $"No transfer has id '{id}'.");
}

/// <summary>
/// A monitor built against the v1 monitor contract, as plugins were before API v2: one call per event. Logs each event
/// with the request id its call carried on stderr, where the host's log shows it.
/// </summary>
internal sealed class CountingMonitor : MonitorService.MonitorServiceBase
{
    public override Task<TransferStartedResponse> TransferStarted(TransferStartedRequest request, ServerCallContext context) =>
        Log("started", request.Transfer.Id, context, new TransferStartedResponse());

    public override Task<TransferProgressResponse> TransferProgress(TransferProgressRequest request, ServerCallContext context) =>
        Log($"progress {request.Progress:0.00}", request.Transfer.Id, context, new TransferProgressResponse());

    public override Task<TransferCompletedResponse> TransferCompleted(TransferCompletedRequest request, ServerCallContext context) =>
        Log("completed", request.Transfer.Id, context, new TransferCompletedResponse());

    public override Task<TransferFailedResponse> TransferFailed(TransferFailedRequest request, ServerCallContext context) =>
        Log($"failed {request.Error.Code}", request.Transfer.Id, context, new TransferFailedResponse());

    public override Task<RecordMetricResponse> RecordMetric(RecordMetricRequest request, ServerCallContext context) =>
        Log($"metric {request.Name}={request.Value}", string.Join(',', request.Tags.Select(t => t.Key + "=" + t.Value)), context, new RecordMetricResponse());

    private static async Task<T> Log<T>(string what, string subject, ServerCallContext context, T response)
    {
        await Console.Error.WriteLineAsync($"monitor event: {what} {subject} request={context.GetPluginContext().RequestId}");
        return response;
    }
}

/// <summary>A monitor of API v2: logs each batch's size, then each event with its own request id, on stderr.</summary>
internal sealed class BatchMonitor : GrpcPlugins.Monitor.V2.MonitorService.MonitorServiceBase
{
    public override async Task<GrpcPlugins.Monitor.V2.PublishEventsResponse> PublishEvents(GrpcPlugins.Monitor.V2.PublishEventsRequest request, ServerCallContext context)
    {
        await Console.Error.WriteLineAsync($"monitor batch: {request.Events.Count} events");
        foreach (var monitorEvent in request.Events)
        {
            var transfer = monitorEvent.TransferStarted?.Transfer ?? monitorEvent.TransferProgress?.Transfer
                ?? monitorEvent.TransferCompleted?.Transfer ?? monitorEvent.TransferFailed?.Transfer;
            await Console.Error.WriteLineAsync(
                $"monitor event: {monitorEvent.EventCase} {transfer?.Id ?? monitorEvent.Metric?.Name} request={monitorEvent.GetPluginContext(context).RequestId}");
        }

        return new GrpcPlugins.Monitor.V2.PublishEventsResponse { Accepted = (uint)request.Events.Count };
    }
}

internal static partial class TestPluginLog
{
    [LoggerMessage(1, LogLevel.Information, "Stored {Name} ({Size} bytes)")]
    public static partial void Stored(ILogger logger, string name, long size);
}

/// <summary>Where a page of <see cref="MemoryStorage"/>'s List ended: the last item's name and id, base64 on the wire.</summary>
internal sealed record PageToken(string Name, string Id) : IComparable<PageToken>
{
    public static PageToken Parse(string token)
    {
        try
        {
            var parts = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(token)).Split('\n', 2);
            // The id first: ids hold no newline, names may.
            return parts.Length == 2 ? new PageToken(parts[1], parts[0]) : throw new FormatException();
        }
        catch (FormatException)
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, $"The page token '{token}' is not one this plugin's List returned; pass next_page_token as it came, or none for the first page.");
        }
    }

    public int CompareTo(PageToken? other)
    {
        var byName = string.CompareOrdinal(Name, other?.Name);
        return byName != 0 ? byName : string.CompareOrdinal(Id, other?.Id);
    }

    public override string ToString() => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Id + "\n" + Name));
}
