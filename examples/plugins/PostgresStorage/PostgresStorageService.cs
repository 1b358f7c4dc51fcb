using FileSystemStorage.Internal;
using Grpc.Core;
using GrpcPlugins;
using GrpcPlugins.Sdk;
using GrpcPlugins.Storage.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using PostgresStorage.Internal;

namespace PostgresStorage;

/// <summary>
/// A storage plugin on PostgreSQL, so every host of a cluster sees the same files. Content lives in chunk rows
/// (<c>storage_chunks</c>), metadata in <c>storage_objects</c>; a Store is one transaction. Config:
/// <see cref="PostgresStorageSettings"/>.
/// </summary>
/// <param name="settings">The Init config, bound and validated by the SDK before <see cref="InitAsync"/> runs.</param>
/// <param name="logger">Logs the storage's state.</param>
public sealed partial class PostgresStorageService(IOptionsMonitor<PostgresStorageSettings> settings, ILogger<PostgresStorageService> logger) : StorageService.StorageServiceBase, IPluginLifecycle, IAsyncDisposable
{
    private const int MaxListLimit = PostgresStorageSettings.MaxListLimit;
    private const int MaxIdempotencyKeyLength = 1024;
    private volatile Storage? _storage;

    /// <inheritdoc />
    public async Task InitAsync(IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        var current = settings.CurrentValue;
        var connectionString = current.ConnectionString!;
        NpgsqlDataSource dataSource;
        NpgsqlConnectionStringBuilder database;
        try
        {
            // Not echoed: a connection string usually holds a password.
            database = new NpgsqlConnectionStringBuilder(connectionString);
            dataSource = new NpgsqlSlimDataSourceBuilder(connectionString).Build();
        }
        catch (ArgumentException ex)
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, $"The 'connectionString' setting is not a valid PostgreSQL connection string: {ex.Message}", ex);
        }

        try
        {
            await Schema.MigrateAsync(dataSource, cancellationToken);
            var table = new ObjectTable(dataSource, current.ChunkBytes);
            var (count, _) = await table.StatsAsync(cancellationToken);
            LogReady(logger, database.Host ?? "?", database.Database ?? "?", count);
            var previous = _storage;
            _storage = new Storage(dataSource, table, current.MaxObjectBytes, (int)current.ListDefaultLimit);
            if (previous is not null)
            {
                await previous.DataSource.DisposeAsync();
            }
        }
        catch (Exception ex) when (ex is NpgsqlException)
        {
            await dataSource.DisposeAsync();
            throw new PluginException(
                DatabaseErrors.IsUnavailable(ex) ? PluginErrorCode.Unavailable : PluginErrorCode.InvalidArgument,
                $"The PostgreSQL database in 'connectionString' cannot be used: {ex.Message} Check that the server runs, the database exists and the user may create tables in it.",
                ex);
        }
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

        return await Guarded(async () =>
        {
            if (key.Length > 0 && await storage.Table.FindByKeyAsync(key, context.CancellationToken) is { } stored)
            {
                return await Retried(stored);
            }

            var item = await storage.Table.StoreAsync(upload.Metadata, upload.Content, storage.MaxBytes, context.CancellationToken);
            if (item is null)
            {
                // A concurrent Store with the same key committed first: it is the one copy.
                var winner = await storage.Table.FindByKeyAsync(key, context.CancellationToken)
                    ?? throw new PluginException(PluginErrorCode.Unavailable, "A store with the same idempotency key committed, and its object was deleted at once; send the store again.");
                return await Retried(winner);
            }

            return new StoreResponse { Id = item.Id, Metadata = item.Metadata };
        });

        async Task<StoreResponse> Retried(Item stored)
        {
            // A retry of a store that committed (its answer may have been lost): the same answer, no second copy.
            await upload.Content.CopyToAsync(Stream.Null, context.CancellationToken);
            LogRetriedStore(logger, stored.Id);
            return new StoreResponse { Id = stored.Id, Metadata = stored.Metadata };
        }
    }

    /// <inheritdoc />
    public override async Task Retrieve(RetrieveRequest request, IServerStreamWriter<RetrieveResponse> responseStream, ServerCallContext context)
    {
        var storage = Ready();
        if (!ObjectIds.IsWellFormed(request.Id))
        {
            throw StorageRules.NotFound(request.Id);
        }

        if (request.Offset < 0 || request.Length < 0)
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, $"The range offset {request.Offset}, length {request.Length} is negative; send zero or more.");
        }

        var opened = await Guarded(() => storage.Table.OpenAsync(request.Id, request.Offset, context.CancellationToken)) ?? throw StorageRules.NotFound(request.Id);
        await using var content = opened.Content;
        var metadata = opened.Metadata;
        if (request.Offset > metadata.Size)
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, $"The range offset {request.Offset}, length {request.Length} does not fit the object's {metadata.Size} bytes.");
        }

        var available = metadata.Size - request.Offset;
        var length = request.Length == 0 ? available : Math.Min(request.Length, available);
        await Guarded(() => responseStream.WriteRetrieveAsync(metadata, content, length, context.CancellationToken));
    }

    /// <summary>Answers an object's metadata from its row alone; the content is not read.</summary>
    /// <param name="request">The object's id.</param>
    /// <param name="context">The call's context.</param>
    /// <returns>The metadata Retrieve would send first.</returns>
    public override async Task<StatResponse> Stat(StatRequest request, ServerCallContext context) =>
        new() { Metadata = await Find(Ready(), request.Id, context.CancellationToken) };

    /// <inheritdoc />
    public override async Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context)
    {
        var storage = Ready();
        var deleted = ObjectIds.IsWellFormed(request.Id) && await Guarded(() => storage.Table.DeleteAsync(request.Id, context.CancellationToken));
        return deleted ? new DeleteResponse() : throw StorageRules.NotFound(request.Id);
    }

    /// <inheritdoc />
    public override async Task<ListResponse> List(ListRequest request, ServerCallContext context)
    {
        var storage = Ready();
        if (request.Limit is < 0 or > MaxListLimit)
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, $"limit must be between 0 and {MaxListLimit}.");
        }

        var after = PageToken.Decode(request.PageToken);
        var (items, next) = await Guarded(() => storage.Table.ListAsync(request.Prefix, request.Limit == 0 ? storage.ListLimit : request.Limit, after, context.CancellationToken));
        var response = new ListResponse { NextPageToken = next?.Encode() ?? string.Empty };
        response.Items.Add(items);
        return response;
    }

    /// <inheritdoc />
    public override async Task<StatsResponse> Stats(StatsRequest request, ServerCallContext context)
    {
        var (items, bytes) = await Guarded(() => Ready().Table.StatsAsync(context.CancellationToken));
        return new StatsResponse { TotalItems = items, TotalSize = bytes };
    }

    /// <summary>Closes the connection pool.</summary>
    /// <returns>A task that completes when the pool is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_storage is { } storage)
        {
            await storage.DataSource.DisposeAsync();
        }
    }

    private Storage Ready() => _storage ?? throw new PluginException(PluginErrorCode.FailedPrecondition, "The storage is not initialized; the host must call Init with a 'connectionString'.");

    private static async Task<ObjectMetadata> Find(Storage storage, string id, CancellationToken cancellationToken) =>
        (ObjectIds.IsWellFormed(id) ? await Guarded(() => storage.Table.FindAsync(id, cancellationToken)) : null) ?? throw StorageRules.NotFound(id);

    /// <summary>Runs a database call, answering a lost or unreachable server as <see cref="PluginErrorCode.Unavailable"/>.</summary>
    private static async Task<T> Guarded<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (ex is not PluginException && DatabaseErrors.IsUnavailable(ex))
        {
            throw DatabaseErrors.Unavailable(ex);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Storing in PostgreSQL at {Host}, database {Database}: {Count} objects")]
    private static partial void LogReady(ILogger logger, string host, string database, long count);

    [LoggerMessage(2, LogLevel.Information, "A store with an idempotency key already committed answered object {Id} again; nothing new was stored")]
    private static partial void LogRetriedStore(ILogger logger, string id);

    private sealed record Storage(NpgsqlDataSource DataSource, ObjectTable Table, long MaxBytes, int ListLimit);
}
