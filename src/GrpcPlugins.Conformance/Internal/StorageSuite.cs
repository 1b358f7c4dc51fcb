using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Storage.V1;
using static GrpcPlugins.Conformance.Internal.CheckRunner;

namespace GrpcPlugins.Conformance.Internal;

/// <summary>The storage contract: bytes round-trip with their SHA-256, ranges, not-found, delete, list paging, Stat, cancelled stores, the data channel.</summary>
internal sealed class StorageSuite(ConformanceOptions options, GrpcChannel channel, CallOptionsFactory calls, PluginLaunch launch) : ContractSuite(options, channel, calls)
{
    private bool _storeEnd;

    private const int ChunkSize = 64 * 1024;
    private readonly StorageService.StorageServiceClient client = new(channel);
    private readonly string prefix = "conformance-" + Guid.NewGuid().ToString("N")[..8] + "-";

    public override string ServiceName => StorageService.Descriptor.FullName;

    public override Task CallBeforeInitAsync(CancellationToken cancellationToken) =>
        client.ListAsync(new ListRequest { Prefix = prefix, Limit = 1 }, Calls.Create(cancellationToken)).ResponseAsync;

    protected override Func<CancellationToken, Task>? FailingCall => ct => RetrieveAsync("conformance-missing-" + Guid.NewGuid().ToString("N"), 0, 0, ct);

    protected override async Task RunContractAsync(CheckRunner runner, PluginMetadata? metadata)
    {
        // A plugin that declares CAPABILITY_STORE_END is owed the end marker on every Store, as a host sends it.
        _storeEnd = metadata?.Capabilities.Contains(Capability.StoreEnd) == true;
        var data = RandomNumberGenerator.GetBytes(5 * ChunkSize / 2 + 123);
        string? id = null;
        await runner.RunAsync("storage.round-trip", "Keep every byte of a Store and return them all, in order, from Retrieve; report the stored size.",
            async ct =>
            {
                id = await StoreAsync(prefix + "round-trip.bin", data, ct).ConfigureAwait(false);
                var (metadataBack, bytes) = await RetrieveAsync(id, 0, 0, ct).ConfigureAwait(false);
                Expect(bytes.Length == data.Length, $"Retrieve returned {bytes.Length} bytes of the {data.Length} stored");
                Expect(SHA256.HashData(bytes).AsSpan().SequenceEqual(SHA256.HashData(data)), "Retrieve returned different bytes than were stored (SHA-256 differs)");
                Expect(metadataBack is null || metadataBack.Size == 0 || metadataBack.Size == data.Length, $"Retrieve's metadata says {metadataBack?.Size} bytes, but {data.Length} were stored");
            }).ConfigureAwait(false);
        if (id is null)
        {
            runner.Skip("storage.range", "the round trip failed");
            runner.Skip("storage.stat", "the round trip failed");
            runner.Skip("storage.delete", "the round trip failed");
        }
        else
        {
            await RangeAsync(runner, metadata, id, data).ConfigureAwait(false);
            await runner.RunAsync("storage.stat", "Answer Stat with the same metadata as the first message of Retrieve (name, size, sha256), or UNIMPLEMENTED.",
                async ct =>
                {
                    StatResponse stat;
                    try
                    {
                        stat = await client.StatAsync(new StatRequest { Id = id }, Calls.Create(ct)).ConfigureAwait(false);
                    }
                    catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented)
                    {
                        throw new CheckSkippedException("Stat is not served (a host falls back to Retrieve)");
                    }

                    var (retrieved, _) = await RetrieveAsync(id, 0, 0, ct).ConfigureAwait(false);
                    Expect(retrieved is not null, "Retrieve sent no metadata message to compare with");
                    Expect(stat.Metadata is not null, "Stat returned no metadata");
                    Expect(stat.Metadata!.Name == retrieved!.Name && stat.Metadata.Size == retrieved.Size && stat.Metadata.Sha256 == retrieved.Sha256,
                        $"Stat says name '{stat.Metadata.Name}', size {stat.Metadata.Size}, sha256 '{stat.Metadata.Sha256}'; Retrieve says '{retrieved.Name}', {retrieved.Size}, '{retrieved.Sha256}'");
                }).ConfigureAwait(false);
            await runner.RunAsync("storage.delete", "Delete the object, then fail Retrieve (and Stat) of its id with NOT_FOUND.",
                async ct =>
                {
                    await client.DeleteAsync(new DeleteRequest { Id = id }, Calls.Create(ct)).ConfigureAwait(false);
                    await ExpectStatusAsync(() => RetrieveAsync(id, 0, 0, ct), "Retrieve of a deleted object", StatusCode.NotFound).ConfigureAwait(false);
                }).ConfigureAwait(false);
        }

        await runner.RunAsync("storage.not-found", "Fail Retrieve of an id the plugin never issued with NOT_FOUND.",
            ct => ExpectStatusAsync(() => RetrieveAsync("conformance-missing-" + Guid.NewGuid().ToString("N"), 0, 0, ct), "Retrieve of an unknown id", StatusCode.NotFound)).ConfigureAwait(false);
        await ListPagingAsync(runner).ConfigureAwait(false);
        await CancelledStoreAsync(runner, "storage.cancelled-store", useDeadline: false).ConfigureAwait(false);
        await CancelledStoreAsync(runner, "context.deadline", useDeadline: true).ConfigureAwait(false);
        await DataChannelAsync(runner, metadata).ConfigureAwait(false);
    }

    private Task RangeAsync(CheckRunner runner, PluginMetadata? metadata, string id, byte[] data)
    {
        if (metadata is not null && !metadata.Capabilities.Contains(Capability.RangedReads))
        {
            runner.Skip("storage.range", "the plugin does not declare CAPABILITY_RANGED_READS");
            return Task.CompletedTask;
        }

        return runner.RunAsync("storage.range", "Honour RetrieveRequest.offset and length: return exactly those bytes (declare CAPABILITY_RANGED_READS only if so).",
            async ct =>
            {
                foreach (var (offset, length) in new (int, int)[] { (1000, 5000), (ChunkSize - 7, ChunkSize + 14), (data.Length - 10, 10) })
                {
                    var (_, bytes) = await RetrieveAsync(id, offset, length, ct).ConfigureAwait(false);
                    Expect(bytes.AsSpan().SequenceEqual(data.AsSpan(offset, length)), $"Retrieve at offset {offset}, length {length} returned {bytes.Length} bytes that differ from the stored ones");
                }
            });
    }

    private Task ListPagingAsync(CheckRunner runner) =>
        runner.RunAsync("storage.list-paging", "Honour ListRequest.prefix and limit, and return a next_page_token until the last page; the pages together list every item once.",
            async ct =>
            {
                var listPrefix = prefix + "list-";
                var ids = new List<string>();
                for (var i = 0; i < 5; i++)
                {
                    ids.Add(await StoreAsync($"{listPrefix}{i}.txt", RandomNumberGenerator.GetBytes(100 + i), ct).ConfigureAwait(false));
                }

                var seen = new List<string>();
                var token = string.Empty;
                var pages = 0;
                do
                {
                    var page = await client.ListAsync(new ListRequest { Prefix = listPrefix, Limit = 2, PageToken = token }, Calls.Create(ct)).ConfigureAwait(false);
                    Expect(page.Items.Count <= 2, $"List with limit 2 returned {page.Items.Count} items");
                    Expect(page.Items.All(item => item.Metadata is null || item.Metadata.Name.StartsWith(listPrefix, StringComparison.Ordinal)), "List returned an item whose name does not start with the prefix");
                    seen.AddRange(page.Items.Select(item => item.Id));
                    token = page.NextPageToken;
                    Expect(++pages <= 10, "List kept returning page tokens after 10 pages of 2 for 5 items");
                }
                while (token.Length > 0);
                Expect(seen.Count == seen.Distinct().Count(), "the pages of List repeat an item");
                Expect(ids.All(seen.Contains) && seen.Count == ids.Count, $"the pages of List hold {seen.Count} items, expected the {ids.Count} stored");
                foreach (var stored in ids)
                {
                    await client.DeleteAsync(new DeleteRequest { Id = stored }, Calls.Create(ct)).ConfigureAwait(false);
                }
            });

    private Task CancelledStoreAsync(CheckRunner runner, string name, bool useDeadline) =>
        runner.RunAsync(name, useDeadline
                ? "Honour the call's deadline: when a Store's deadline passes before the stream ends, keep nothing."
                : "Commit a Store only when the stream completes normally: a cancelled Store must leave nothing listed.",
            async ct =>
            {
                var objectName = prefix + (useDeadline ? "deadline.bin" : "cancelled.bin");
                using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var callOptions = useDeadline ? Calls.Create(cancel.Token, TimeSpan.FromSeconds(1)) : Calls.Create(cancel.Token);
                using (var call = client.Store(callOptions))
                {
                    try
                    {
                        await call.RequestStream.WriteAsync(new StoreRequest { Metadata = new ObjectMetadata { Name = objectName, MimeType = "application/octet-stream" } }, ct).ConfigureAwait(false);
                        await call.RequestStream.WriteAsync(new StoreRequest { Chunk = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(ChunkSize)) }, ct).ConfigureAwait(false);
                        if (!useDeadline)
                        {
                            await Task.Delay(200, ct).ConfigureAwait(false);
                            await cancel.CancelAsync().ConfigureAwait(false);
                        }

                        await call.ResponseAsync.WaitAsync(Options.CallTimeout, ct).ConfigureAwait(false);
                        throw new CheckFailedException("the Store succeeded although its stream never completed");
                    }
                    catch (RpcException ex) when (ex.StatusCode is StatusCode.Cancelled or StatusCode.DeadlineExceeded)
                    {
                    }
                }

                // Give the plugin time to see the end of the call; a plugin that commits on a cut-off stream does so now.
                var until = DateTime.UtcNow + TimeSpan.FromSeconds(2);
                while (DateTime.UtcNow < until)
                {
                    var listed = await client.ListAsync(new ListRequest { Prefix = objectName }, Calls.Create(ct)).ConfigureAwait(false);
                    Expect(listed.Items.Count == 0, $"the {(useDeadline ? "timed-out" : "cancelled")} Store of '{objectName}' left an object listed");
                    await Task.Delay(250, ct).ConfigureAwait(false);
                }
            });

    private Task DataChannelAsync(CheckRunner runner, PluginMetadata? metadata)
    {
        if (string.IsNullOrEmpty(metadata?.DataChannel))
        {
            runner.Skip("storage.data-channel", "the plugin offers no data channel");
            return Task.CompletedTask;
        }

        return runner.RunAsync("storage.data-channel", "Put the data channel's socket in the plugin's own socket folder, with mode 0600.",
            _ =>
            {
                var path = metadata!.DataChannel;
                var folder = Path.GetDirectoryName(launch.Handshake!.Address);
                Expect(Path.GetDirectoryName(path) == folder, $"the data channel {path} is not in the plugin's socket folder {folder}");
                Expect(File.Exists(path), $"the data channel {path} does not exist");
                if (!OperatingSystem.IsWindows())
                {
                    var mode = File.GetUnixFileMode(path);
                    Expect((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) == 0, $"the data channel {path} has mode 0{Convert.ToString((int)mode & 0x1FF, 8)}: other users can connect");
                }

                return Task.CompletedTask;
            });
    }

    private async Task<string> StoreAsync(string name, byte[] data, CancellationToken cancellationToken)
    {
        var options = Calls.Create(cancellationToken);
        if (_storeEnd)
        {
            options.Headers!.Add(PluginProtocol.StoreEndHeader, "1");
        }

        using var call = client.Store(options);
        await call.RequestStream.WriteAsync(new StoreRequest { Metadata = new ObjectMetadata { Name = name, Size = data.Length, MimeType = "application/octet-stream" } }, cancellationToken).ConfigureAwait(false);
        for (var offset = 0; offset < data.Length; offset += ChunkSize)
        {
            var length = Math.Min(ChunkSize, data.Length - offset);
            await call.RequestStream.WriteAsync(new StoreRequest { Chunk = ByteString.CopyFrom(data, offset, length) }, cancellationToken).ConfigureAwait(false);
        }

        if (_storeEnd)
        {
            var end = new StoreEnd { TotalSize = data.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(data)) };
            await call.RequestStream.WriteAsync(new StoreRequest { End = end }, cancellationToken).ConfigureAwait(false);
        }

        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        var response = await call.ResponseAsync.ConfigureAwait(false);
        Expect(response.Id.Length > 0, "Store returned an empty id", "Return the stored object's id in StoreResponse.id.");
        return response.Id;
    }

    private async Task<(ObjectMetadata? Metadata, byte[] Bytes)> RetrieveAsync(string id, long offset, long length, CancellationToken cancellationToken)
    {
        using var call = client.Retrieve(new RetrieveRequest { Id = id, Offset = offset, Length = length }, Calls.Create(cancellationToken));
        ObjectMetadata? metadata = null;
        using var bytes = new MemoryStream();
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            var message = call.ResponseStream.Current;
            if (message.Metadata is not null)
            {
                metadata ??= message.Metadata;
            }
            else
            {
                message.Chunk.WriteTo(bytes);
            }
        }

        return (metadata, bytes.ToArray());
    }
}
