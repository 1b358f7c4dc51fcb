using FileSystemStorage.Internal;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GrpcPlugins;
using GrpcPlugins.Sdk;
using GrpcPlugins.Storage.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FileSystemStorage;

/// <summary>
/// A storage plugin over a local folder. Content lives in <c>root/objects/&lt;id&gt;</c>, metadata in
/// <c>root/metadata.db</c> (SQLite). Config: <see cref="FileSystemStorageSettings"/>.
/// </summary>
/// <param name="settings">The Init config, bound and validated by the SDK before <see cref="InitAsync"/> runs.</param>
/// <param name="logger">Logs the storage's state.</param>
public sealed partial class FileSystemStorageService(IOptionsMonitor<FileSystemStorageSettings> settings, ILogger<FileSystemStorageService> logger) : StorageService.StorageServiceBase, IPluginLifecycle
{
    private const int MaxListLimit = FileSystemStorageSettings.MaxListLimit;
    private const int MaxIdempotencyKeyLength = 1024;
    private volatile Storage? _storage;

    /// <inheritdoc />
    public Task InitAsync(IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        var current = settings.CurrentValue;
        var root = current.Root!;
        try
        {
            var store = new ObjectStore(root);
            var index = new MetadataIndex(Path.Combine(store.Root, "metadata.db"));
            var known = index.AllIds();
            foreach (var missing in known.Where(id => !store.Exists(id)).ToList())
            {
                index.Delete(missing);
                known.Remove(missing);
            }

            var removed = store.RemoveLeftovers(known);
            LogReady(logger, store.Root, known.Count, removed);
            _storage = new Storage(store, index, current.MaxObjectBytes, (int)current.ListDefaultLimit);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, $"The storage root '{root}' cannot be used: {ex.Message} Check that the folder can be created and written.", ex);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override async Task<StoreResponse> Store(IAsyncStreamReader<StoreRequest> requestStream, ServerCallContext context)
    {
        var storage = Ready();
        var upload = await requestStream.ReadStoreAsync(context.CancellationToken);
        ObjectNames.Validate(upload.Metadata.Name);
        MediaTypes.Validate(upload.Metadata.MimeType);
        var key = upload.Metadata.IdempotencyKey;
        if (key.Length > MaxIdempotencyKeyLength)
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, $"The idempotency key is longer than {MaxIdempotencyKeyLength} characters; send a shorter one.");
        }

        if (key.Length > 0 && storage.Index.FindByKey(key) is { } stored)
        {
            // A retry of a store that committed (its answer may have been lost with a crash): the same answer, no second copy.
            await upload.Content.CopyToAsync(Stream.Null, context.CancellationToken);
            LogRetriedStore(logger, stored.Id);
            return new StoreResponse { Id = stored.Id, Metadata = stored.Metadata };
        }

        var id = ObjectIds.New();
        var (size, sha256) = await storage.Files.WriteAsync(id, upload, storage.MaxBytes, context.CancellationToken);
        var metadata = upload.Metadata.Clone();
        metadata.Size = size;
        metadata.Sha256 = sha256;
        metadata.CreatedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow);
        if (string.IsNullOrEmpty(metadata.MimeType))
        {
            metadata.MimeType = "application/octet-stream";
        }

        bool inserted;
        try
        {
            inserted = storage.Index.TryInsert(id, metadata);
        }
        catch
        {
            storage.Files.Delete(id);
            throw;
        }

        if (!inserted)
        {
            // A concurrent store with the same key committed first: it is the one copy.
            storage.Files.Delete(id);
            var winner = storage.Index.FindByKey(key)
                ?? throw new PluginException(PluginErrorCode.Unavailable, "A store with the same idempotency key committed, and its object was deleted at once; send the store again.");
            LogRetriedStore(logger, winner.Id);
            return new StoreResponse { Id = winner.Id, Metadata = winner.Metadata };
        }

        return new StoreResponse { Id = id, Metadata = metadata };
    }

    /// <inheritdoc />
    public override async Task Retrieve(RetrieveRequest request, IServerStreamWriter<RetrieveResponse> responseStream, ServerCallContext context)
    {
        var storage = Ready();
        var metadata = Find(storage, request.Id);
        if (request.Offset < 0 || request.Length < 0 || request.Offset > metadata.Size)
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, $"The range offset {request.Offset}, length {request.Length} does not fit the object's {metadata.Size} bytes.");
        }

        var available = metadata.Size - request.Offset;
        var length = request.Length == 0 ? available : Math.Min(request.Length, available);
        await using var file = OpenRead(storage, request.Id);
        file.Seek(request.Offset, SeekOrigin.Begin);
        await responseStream.WriteRetrieveAsync(metadata, file, length, context.CancellationToken);
    }

    /// <summary>Answers an object's metadata from the metadata index alone; the content file is not opened.</summary>
    /// <param name="request">The object's id.</param>
    /// <param name="context">The call's context.</param>
    /// <returns>The metadata Retrieve would send first.</returns>
    public override Task<StatResponse> Stat(StatRequest request, ServerCallContext context) =>
        Task.FromResult(new StatResponse { Metadata = Find(Ready(), request.Id) });

    /// <inheritdoc />
    public override Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context)
    {
        var storage = Ready();
        Find(storage, request.Id);
        // The row goes first: a crash in between leaves only an orphan file, which the next Init removes.
        storage.Index.Delete(request.Id);
        storage.Files.Delete(request.Id);
        return Task.FromResult(new DeleteResponse());
    }

    /// <inheritdoc />
    public override Task<ListResponse> List(ListRequest request, ServerCallContext context)
    {
        var storage = Ready();
        if (request.Limit is < 0 or > MaxListLimit)
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, $"limit must be between 0 and {MaxListLimit}.");
        }

        var (items, next) = storage.Index.List(request.Prefix, request.Limit == 0 ? storage.ListLimit : request.Limit, PageToken.Decode(request.PageToken));
        var response = new ListResponse { NextPageToken = next?.Encode() ?? string.Empty };
        response.Items.Add(items);
        return Task.FromResult(response);
    }

    /// <inheritdoc />
    public override Task<StatsResponse> Stats(StatsRequest request, ServerCallContext context)
    {
        var (items, bytes) = Ready().Index.Stats();
        return Task.FromResult(new StatsResponse { TotalItems = items, TotalSize = bytes });
    }

    private Storage Ready() => _storage ?? throw new PluginException(PluginErrorCode.FailedPrecondition, "The storage is not initialized; the host must call Init with a 'root'.");

    private static ObjectMetadata Find(Storage storage, string id) =>
        (ObjectIds.IsWellFormed(id) ? storage.Index.Find(id) : null) ?? throw StorageRules.NotFound(id);

    private static FileStream OpenRead(Storage storage, string id)
    {
        try
        {
            return storage.Files.OpenRead(id);
        }
        catch (FileNotFoundException)
        {
            // A Delete ran between the lookup and the open: to the caller the object is simply gone.
            throw StorageRules.NotFound(id);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Storing under {Root}: {Count} objects, {Removed} crash leftovers removed")]
    private static partial void LogReady(ILogger logger, string root, int count, int removed);

    [LoggerMessage(2, LogLevel.Information, "A store with an idempotency key already committed answered object {Id} again; nothing new was stored")]
    private static partial void LogRetriedStore(ILogger logger, string id);

    private sealed record Storage(ObjectStore Files, MetadataIndex Index, long MaxBytes, int ListLimit);
}
