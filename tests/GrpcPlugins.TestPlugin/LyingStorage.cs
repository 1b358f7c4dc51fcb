using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GrpcPlugins.Storage.V1;

namespace GrpcPlugins.TestPlugin;

/// <summary>
/// A storage plugin that lies when asked with certain names, ids or prefixes, and otherwise stores in memory,
/// so tests can check that a host reports each lie clearly and keeps working. Run as mode "liar".
/// </summary>
internal sealed class LyingStorage : StorageService.StorageServiceBase
{
    /// <summary>The size of the "huge-chunk" Retrieve chunk: bigger than the host's default 4 MiB message limit.</summary>
    public const int HugeChunkSize = 5 * 1024 * 1024;

    /// <summary>The size of the "dies-after-last-byte" content.</summary>
    public const int DiesAfterLastByteSize = 100_000;

    private readonly MemoryStorage _honest = new();

    /// <summary>The content "dies-after-last-byte" sends: byte i is i mod 251.</summary>
    public static byte[] DiesAfterLastByteContent() => [.. Enumerable.Range(0, DiesAfterLastByteSize).Select(i => (byte)(i % 251))];

    public override async Task<StoreResponse> Store(IAsyncStreamReader<StoreRequest> requestStream, ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken))
        {
            return await _honest.Store(requestStream, context);
        }

        var first = requestStream.Current;
        var replay = new ReplayReader(first, requestStream);
        switch (first.Metadata?.Name)
        {
            case "no-id":
                await Drain(requestStream, context);
                return new StoreResponse { Metadata = first.Metadata };
            case "ghost":
                // Answers with an id it never stored.
                await Drain(requestStream, context);
                return new StoreResponse { Id = "ghost-" + Guid.NewGuid().ToString("N"), Metadata = first.Metadata };
            default:
                return await _honest.Store(replay, context);
        }
    }

    public override async Task Retrieve(RetrieveRequest request, IServerStreamWriter<RetrieveResponse> responseStream, ServerCallContext context)
    {
        switch (request.Id)
        {
            case "chunk-first":
                await responseStream.WriteAsync(new RetrieveResponse { Chunk = ByteString.CopyFromUtf8("surprise") });
                return;
            case "nothing":
                return;
            case "metadata-twice":
                await responseStream.WriteAsync(new RetrieveResponse { Metadata = new ObjectMetadata { Name = "a", Size = 3 } });
                await responseStream.WriteAsync(new RetrieveResponse { Metadata = new ObjectMetadata { Name = "b", Size = 3 } });
                return;
            case "huge-chunk":
                await responseStream.WriteAsync(new RetrieveResponse { Metadata = new ObjectMetadata { Name = "huge", Size = HugeChunkSize } });
                await responseStream.WriteAsync(new RetrieveResponse { Chunk = UnsafeByteOperations.UnsafeWrap(new byte[HugeChunkSize]) });
                return;
            case "negative-size":
                await responseStream.WriteAsync(new RetrieveResponse { Metadata = new ObjectMetadata { Name = "neg", Size = -5 } });
                return;
            case "dies-after-last-byte":
                // Every announced byte goes out, then the plugin dies before it ends the call.
                await responseStream.WriteAsync(new RetrieveResponse { Metadata = new ObjectMetadata { Name = "last.bin", Size = DiesAfterLastByteSize } });
                await responseStream.WriteAsync(new RetrieveResponse { Chunk = ByteString.CopyFrom(DiesAfterLastByteContent()) });
                await Task.Delay(TimeSpan.FromMilliseconds(500));
                System.Diagnostics.Process.GetCurrentProcess().Kill();
                return;
            case "dies-mid-body":
                // Half the announced bytes go out, then the plugin dies.
                await responseStream.WriteAsync(new RetrieveResponse { Metadata = new ObjectMetadata { Name = "half.bin", Size = DiesAfterLastByteSize * 2 } });
                await responseStream.WriteAsync(new RetrieveResponse { Chunk = ByteString.CopyFrom(DiesAfterLastByteContent()) });
                await Task.Delay(TimeSpan.FromMilliseconds(500));
                System.Diagnostics.Process.GetCurrentProcess().Kill();
                return;
            default:
                await _honest.Retrieve(request, responseStream, context);
                return;
        }
    }

    public override Task<StatResponse> Stat(StatRequest request, ServerCallContext context) => request.Id switch
    {
        "negative-size" => Task.FromResult(new StatResponse { Metadata = new ObjectMetadata { Name = "neg", Size = -5 } }),
        "no-metadata" => Task.FromResult(new StatResponse()),

        // These exist (a host may check a file's owner before it deletes it); their Delete is what lies.
        "bad-status" or "bad-detail" => Task.FromResult(new StatResponse { Metadata = new ObjectMetadata { Name = request.Id, Size = 1 } }),
        _ => _honest.Stat(request, context),
    };

    public override Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context) => request.Id switch
    {
        // A google.rpc.Status trailer that is not a Status at all.
        "bad-status" => throw new RpcException(
            new Grpc.Core.Status(StatusCode.Internal, "garbled"),
            new Metadata { { "grpc-status-details-bin", new byte[] { 0xff, 0xff, 0xff, 0x01, 0x02 } } }),
        // A valid Status whose PluginError detail is garbage bytes.
        "bad-detail" => throw BadDetail(),
        _ => _honest.Delete(request, context),
    };

    public override async Task<ListResponse> List(ListRequest request, ServerCallContext context)
    {
        if (request.Prefix != "nonsense")
        {
            return await _honest.List(request, context);
        }

        return new ListResponse
        {
            Items =
            {
                new Item { Id = "ok", Metadata = new ObjectMetadata { Name = "fine", Size = 1 } },
                new Item { Id = string.Empty, Metadata = new ObjectMetadata { Name = "no id", Size = -42 } },
                new Item { Id = "no-metadata" },
            },
        };
    }

    public override Task<StatsResponse> Stats(StatsRequest request, ServerCallContext context) => _honest.Stats(request, context);

    private static RpcException BadDetail()
    {
        var status = new Google.Rpc.Status
        {
            Code = (int)StatusCode.NotFound,
            Message = "detail is garbage",
            Details = { new Any { TypeUrl = "type.googleapis.com/" + Plugin.V1.PluginError.Descriptor.FullName, Value = ByteString.CopyFrom(0xff, 0xff, 0xff) } },
        };
        return status.ToRpcException();
    }

    private static async Task Drain(IAsyncStreamReader<StoreRequest> requestStream, ServerCallContext context)
    {
        while (await requestStream.MoveNext(context.CancellationToken))
        {
        }
    }

    /// <summary>Gives back the message already read, then the rest of the stream.</summary>
    private sealed class ReplayReader(StoreRequest first, IAsyncStreamReader<StoreRequest> rest) : IAsyncStreamReader<StoreRequest>
    {
        private bool _replayed;
        private bool _onFirst;

        public StoreRequest Current => _onFirst ? first : rest.Current;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (!_replayed)
            {
                _replayed = true;
                _onFirst = true;
                return true;
            }

            _onFirst = false;
            return await rest.MoveNext(cancellationToken);
        }
    }
}
