using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Storage.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.TestPlugin;

/// <summary>
/// A storage plugin written without the SDK, on bare ASP.NET Core gRPC, as an author in another language would write
/// one. With no flags it follows the protocol; each flag breaks one rule, so the conformance kit's tests can show that
/// the check for that rule fails: no-cookie-check, bad-handshake, open-socket, unhealthy, undeclared-service,
/// ignores-init, no-error-details, ignores-limit, commits-cancelled, leaves-socket, ignores-stdin.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static class ConformanceBroken
{
    public static async Task<int> RunAsync(IReadOnlyCollection<string> flags)
    {
        if (!flags.Contains("no-cookie-check") && Environment.GetEnvironmentVariable(PluginProtocol.MagicCookieKey) != PluginProtocol.MagicCookieValue)
        {
            await Console.Error.WriteLineAsync("This binary is a plugin. These are not meant to be executed directly.");
            return 1;
        }

        var baseDir = Environment.GetEnvironmentVariable(PluginProtocol.UnixSocketDirVariable) ?? Path.GetTempPath();
        var folder = Path.Combine(baseDir, "broken-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, flags.Contains("open-socket")
            ? (UnixFileMode)Convert.ToInt32("777", 8)
            : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var socket = Path.Combine(folder, "plugin.sock");

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenUnixSocket(socket, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var state = new BrokenState(flags);
        builder.Services.AddSingleton(state);
        var health = new HealthServiceImpl();
        var serving = flags.Contains("unhealthy") ? HealthCheckResponse.Types.ServingStatus.NotServing : HealthCheckResponse.Types.ServingStatus.Serving;
        health.SetStatus(string.Empty, HealthCheckResponse.Types.ServingStatus.Serving);
        health.SetStatus(PluginProtocol.HealthServiceName, serving);
        builder.Services.AddSingleton(health);
        var app = builder.Build();
        app.MapGrpcService<HealthServiceImpl>();
        app.MapGrpcService<BrokenLifecycle>();
        app.MapGrpcService<BrokenStorage>();
        await app.StartAsync();
        File.SetUnixFileMode(socket, flags.Contains("open-socket")
            ? (UnixFileMode)Convert.ToInt32("666", 8)
            : UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Console.WriteLine(flags.Contains("bad-handshake") ? $"1|2|unix|{socket}|netrpc" : $"1|2|unix|{socket}|grpc|");
        Console.Out.Flush();

        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        state.Stop = lifetime.StopApplication;
        if (Environment.GetEnvironmentVariable(PluginProtocol.StdinWatchVariable) == "1" && !flags.Contains("ignores-stdin"))
        {
            _ = Task.Run(async () =>
            {
                while (await Console.In.ReadLineAsync() is not null)
                {
                }

                lifetime.StopApplication();
            });
        }

        await app.WaitForShutdownAsync();
        if (!flags.Contains("leaves-socket"))
        {
            Directory.Delete(folder, recursive: true);
        }
        else if (!File.Exists(socket))
        {
            // Kestrel unlinks its socket on stop; a plugin that leaves one behind leaves the file.
            await File.WriteAllTextAsync(socket, "left behind");
        }

        return 0;
    }
}

/// <summary>What the broken plugin was told to break, and its state.</summary>
internal sealed class BrokenState(IReadOnlyCollection<string> flags)
{
    public IReadOnlyCollection<string> Flags { get; } = flags;

    public bool Initialized { get; set; }

    public Action Stop { get; set; } = () => { };

    public ConcurrentDictionary<string, (ObjectMetadata Metadata, byte[] Data)> Objects { get; } = new();

    public void RequireInit()
    {
        if (!Initialized && !Flags.Contains("ignores-init"))
        {
            throw Error(PluginErrorCode.FailedPrecondition, "Init first");
        }
    }

    public RpcException Error(PluginErrorCode code, string message) =>
        Flags.Contains("no-error-details")
            ? new RpcException(new Status(PluginErrors.ToStatusCode(code), message))
            : PluginErrors.ToRpcException(new PluginException(code, message));
}

/// <summary>PluginService of the broken plugin.</summary>
internal sealed class BrokenLifecycle(BrokenState state) : PluginService.PluginServiceBase
{
    public override Task<InitResponse> Init(InitRequest request, ServerCallContext context)
    {
        state.Initialized = true;
        return Task.FromResult(new InitResponse());
    }

    public override Task<ShutdownResponse> Shutdown(ShutdownRequest request, ServerCallContext context)
    {
        _ = Task.Delay(100).ContinueWith(_ => state.Stop(), TaskScheduler.Default);
        return Task.FromResult(new ShutdownResponse());
    }

    public override Task<GetMetadataResponse> GetMetadata(GetMetadataRequest request, ServerCallContext context)
    {
        var metadata = new PluginMetadata { Name = "broken", Version = "1.0.0", Type = PluginType.Storage, ApiVersions = { "v1", "v2" }, Capabilities = { Capability.RangedReads } };
        metadata.Services.Add(StorageService.Descriptor.FullName);
        if (state.Flags.Contains("undeclared-service"))
        {
            metadata.Services.Add("grpcplugins.example.v1.MissingService");
        }

        return Task.FromResult(new GetMetadataResponse { Metadata = metadata });
    }
}

/// <summary>StorageService of the broken plugin, in memory.</summary>
internal sealed class BrokenStorage(BrokenState state) : StorageService.StorageServiceBase
{
    public override async Task<StoreResponse> Store(IAsyncStreamReader<StoreRequest> requestStream, ServerCallContext context)
    {
        state.RequireInit();
        ObjectMetadata? metadata = null;
        using var data = new MemoryStream();
        try
        {
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                if (requestStream.Current.Metadata is { } first)
                {
                    metadata = first;
                }
                else
                {
                    requestStream.Current.Chunk.WriteTo(data);
                }
            }
        }
        catch (Exception) when (state.Flags.Contains("commits-cancelled"))
        {
            // Takes a cut-off stream for a complete one, as a careless plugin does.
        }

        var id = Guid.NewGuid().ToString("N");
        var stored = new ObjectMetadata { Name = metadata?.Name ?? id, Size = data.Length, MimeType = metadata?.MimeType ?? string.Empty, Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data.ToArray())) };
        state.Objects[id] = (stored, data.ToArray());
        return new StoreResponse { Id = id, Metadata = stored };
    }

    public override async Task Retrieve(RetrieveRequest request, IServerStreamWriter<RetrieveResponse> responseStream, ServerCallContext context)
    {
        var (metadata, data) = Get(request.Id);
        await responseStream.WriteAsync(new RetrieveResponse { Metadata = metadata });
        var start = (int)Math.Min(request.Offset, data.Length);
        var end = request.Length > 0 ? (int)Math.Min(data.Length, start + request.Length) : data.Length;
        for (var offset = start; offset < end; offset += 32 * 1024)
        {
            await responseStream.WriteAsync(new RetrieveResponse { Chunk = ByteString.CopyFrom(data, offset, Math.Min(32 * 1024, end - offset)) });
        }
    }

    public override Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context)
    {
        Get(request.Id);
        state.Objects.TryRemove(request.Id, out _);
        return Task.FromResult(new DeleteResponse());
    }

    public override Task<ListResponse> List(ListRequest request, ServerCallContext context)
    {
        state.RequireInit();
        var items = state.Objects.Where(o => o.Value.Metadata.Name.StartsWith(request.Prefix, StringComparison.Ordinal))
            .OrderBy(o => o.Key, StringComparer.Ordinal)
            .Where(o => request.PageToken.Length == 0 || string.CompareOrdinal(o.Key, request.PageToken) > 0)
            .Select(o => new Item { Id = o.Key, Metadata = o.Value.Metadata })
            .ToList();
        var response = new ListResponse();
        if (request.Limit > 0 && items.Count > request.Limit && !state.Flags.Contains("ignores-limit"))
        {
            items = items.Take(request.Limit).ToList();
            response.NextPageToken = items[^1].Id;
        }

        response.Items.AddRange(items);
        return Task.FromResult(response);
    }

    public override Task<StatResponse> Stat(StatRequest request, ServerCallContext context) =>
        Task.FromResult(new StatResponse { Metadata = Get(request.Id).Metadata });

    private (ObjectMetadata Metadata, byte[] Data) Get(string id)
    {
        state.RequireInit();
        return state.Objects.TryGetValue(id, out var found) ? found : throw state.Error(PluginErrorCode.NotFound, $"no object '{id}'");
    }
}
