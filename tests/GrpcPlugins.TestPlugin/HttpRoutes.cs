using System.Text;
using System.Text.Json;
using Grpc.Core;
using GrpcPlugins.Http.V1;
using GrpcPlugins.Sdk;

namespace GrpcPlugins.TestPlugin;

/// <summary>Route plugin for tests: echoes bodies, reports who called, hangs until cancelled.</summary>
public sealed class HttpRoutes : HttpRouteService
{
    /// <inheritdoc />
    protected override IReadOnlyList<Route> Routes { get; } =
    [
        new() { Method = "GET", PathTemplate = "/hello/{name}", Gate = RouteGate.Public },
        new() { Method = "POST", PathTemplate = "/sha256", Gate = RouteGate.Public },
        new() { Method = "GET", PathTemplate = "/bytes/{size:long}", Gate = RouteGate.Public },
        new() { Method = "GET", PathTemplate = "/me", Gate = RouteGate.Session },
        new() { Method = "GET", PathTemplate = "/admin", Gate = RouteGate.Admin },
        new() { Method = "GET", PathTemplate = "/hang", Gate = RouteGate.Public },
    ];

    /// <inheritdoc />
    protected override async Task HandleAsync(HttpPluginRequest request, HttpPluginResponse response, CancellationToken cancellationToken)
    {
        switch (request.Head.Route.PathTemplate)
        {
            case "/hello/{name}":
                await WriteTextAsync(response, $"hello {request.RouteValue("name")}", cancellationToken);
                break;
            case "/sha256":
                // Hashes the body as it streams in, so memory stays flat whatever its size.
                using (var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256))
                {
                    var buffer = new byte[64 * 1024];
                    long total = 0;
                    int read;
                    while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
                    {
                        sha.AppendData(buffer, 0, read);
                        total += read;
                    }

                    await WriteTextAsync(response, $"{total}:{Convert.ToHexString(sha.GetHashAndReset())}", cancellationToken);
                }

                break;
            case "/bytes/{size:long}":
                // Streams a pattern the test can recompute: byte i is Pattern(i).
                response.Headers.Add(new("Content-Type", "application/octet-stream"));
                var size = long.Parse(request.RouteValue("size")!, System.Globalization.CultureInfo.InvariantCulture);
                var chunk = new byte[64 * 1024];
                for (long offset = 0; offset < size; offset += chunk.Length)
                {
                    var count = (int)Math.Min(chunk.Length, size - offset);
                    for (var i = 0; i < count; i++)
                    {
                        chunk[i] = Pattern(offset + i);
                    }

                    await response.Body.WriteAsync(chunk.AsMemory(0, count), cancellationToken);
                }

                break;
            case "/me":
            case "/admin":
                response.Headers.Add(new("Content-Type", "application/json"));
                await response.Body.WriteAsync(Identity(request), cancellationToken);
                break;
            case "/hang":
                // Tells the test it has the call, then waits until the host cancels it.
                var marker = request.Header("x-marker")!;
                await File.WriteAllTextAsync(marker + ".started", "started", CancellationToken.None);
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    await File.WriteAllTextAsync(marker + ".cancelled", "cancelled", CancellationToken.None);
                    throw;
                }

                break;
        }
    }

    /// <summary>Byte <paramref name="index"/> of the /bytes pattern.</summary>
    /// <param name="index">The byte's offset.</param>
    /// <returns>The byte.</returns>
    public static byte Pattern(long index) => (byte)((index * 7) ^ (index >> 11));

    // Written with Utf8JsonWriter rather than a serializer, so that the plugin stays trimmable and NativeAOT-compatible.
    private static byte[] Identity(HttpPluginRequest request)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("userId", request.UserId);
            json.WriteStartArray("roles");
            foreach (var role in request.Roles)
            {
                json.WriteStringValue(role);
            }

            json.WriteEndArray();
            json.WriteString("requestId", request.Head.RequestId);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static async Task WriteTextAsync(HttpPluginResponse response, string text, CancellationToken cancellationToken)
    {
        response.Headers.Add(new("Content-Type", "text/plain"));
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
    }
}

/// <summary>Route plugin for tests that declares routes clashing with the host's and with <see cref="HttpRoutes"/>'.</summary>
public sealed class ShadowingHttpRoutes : HttpRouteService
{
    /// <inheritdoc />
    protected override IReadOnlyList<Route> Routes { get; } =
    [
        new() { Method = "GET", PathTemplate = "/hello/{who}", Gate = RouteGate.Public },
        new() { Method = "GET", PathTemplate = "/host-route", Gate = RouteGate.Public },
        new() { Method = "GET", PathTemplate = "/other", Gate = RouteGate.Public },
    ];

    /// <inheritdoc />
    protected override Task HandleAsync(HttpPluginRequest request, HttpPluginResponse response, CancellationToken cancellationToken) =>
        response.Body.WriteAsync("shadow"u8.ToArray(), cancellationToken).AsTask();
}

/// <summary>Route plugin for tests that answers garbage: no head, body before head, an invalid status.</summary>
public sealed class GarbageHttpRoutes : RouteService.RouteServiceBase
{
    /// <inheritdoc />
    public override Task<GetRoutesResponse> GetRoutes(GetRoutesRequest request, ServerCallContext context) =>
        Task.FromResult(new GetRoutesResponse
        {
            Routes =
            {
                new Route { Method = "GET", PathTemplate = "/garbage/{kind}", Gate = RouteGate.Public },
            },
        });

    /// <inheritdoc />
    public override async Task Handle(IAsyncStreamReader<HandleRequest> requestStream, IServerStreamWriter<HandleResponse> responseStream, ServerCallContext context)
    {
        await requestStream.MoveNext(context.CancellationToken);
        switch (requestStream.Current.Head.RouteValues["kind"])
        {
            case "no-head":
                return;
            case "body-first":
                await responseStream.WriteAsync(new HandleResponse { Body = Google.Protobuf.ByteString.CopyFromUtf8("oops") });
                return;
            default:
                await responseStream.WriteAsync(new HandleResponse { Head = new ResponseHead { Status = 42 } });
                return;
        }
    }
}

/// <summary>
/// Middleware plugin for tests, before the session: blocks a request with x-mw-block (429 and Retry-After), stalls one
/// with x-mw-slow, and otherwise lets it through with a request header and a response header added.
/// </summary>
public sealed class TestHttpMiddleware : HttpMiddlewareService
{
    /// <inheritdoc />
    protected override async ValueTask<ProcessResponse> ProcessAsync(RequestHead head, CancellationToken cancellationToken)
    {
        if (head.Headers.Any(h => h.Name.Equals("x-mw-slow", StringComparison.OrdinalIgnoreCase)))
        {
            await Task.Delay(TimeSpan.FromSeconds(30), cancellationToken);
        }

        if (head.Headers.Any(h => h.Name.Equals("x-mw-block", StringComparison.OrdinalIgnoreCase)))
        {
            return Respond(429, "Too many requests", "Blocked by the test middleware.", [new("Retry-After", "7")]);
        }

        var pass = PassThrough([new("x-mw", "passed")]);
        pass.Pass.SetRequestHeaders.Add(new Header { Name = "x-mw-seen", Value = "1" });
        return pass;
    }
}
