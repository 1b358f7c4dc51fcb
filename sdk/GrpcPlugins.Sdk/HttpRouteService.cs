using Google.Protobuf;
using Grpc.Core;
using GrpcPlugins.Http.V1;

namespace GrpcPlugins.Sdk;

/// <summary>
/// The base of a route plugin: list <see cref="Routes"/> and serve each request in <see cref="HandleAsync"/>, reading
/// the request body as a stream and writing the response body as a stream. Serve it with
/// <see cref="PluginBuilder.AddHttpRoutes{TService}"/>. One instance serves every request.
/// </summary>
public abstract class HttpRouteService : RouteService.RouteServiceBase
{
    /// <summary>The routes this plugin serves, below the host's prefix.</summary>
    protected abstract IReadOnlyList<Route> Routes { get; }

    /// <summary>Serves one request.</summary>
    /// <param name="request">The request: head, user and streamed body.</param>
    /// <param name="response">The response: set the status and headers, then write the body.</param>
    /// <param name="cancellationToken">Cancelled when the HTTP client goes away or the host cancels the call.</param>
    /// <returns>A task that completes when the response is written.</returns>
    protected abstract Task HandleAsync(HttpPluginRequest request, HttpPluginResponse response, CancellationToken cancellationToken);

    /// <inheritdoc />
    public sealed override Task<GetRoutesResponse> GetRoutes(GetRoutesRequest request, ServerCallContext context)
    {
        var response = new GetRoutesResponse();
        response.Routes.Add(Routes);
        return Task.FromResult(response);
    }

    /// <inheritdoc />
    public sealed override async Task Handle(IAsyncStreamReader<HandleRequest> requestStream, IServerStreamWriter<HandleResponse> responseStream, ServerCallContext context)
    {
        var token = context.CancellationToken;
        if (!await requestStream.MoveNext(token).ConfigureAwait(false) || requestStream.Current.MessageCase != HandleRequest.MessageOneofCase.Head)
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, "A Handle call must start with the request head; the host sent something else.");
        }

        var head = requestStream.Current.Head;
        var body = new ChunkReadStream<HandleRequest>(requestStream, m => m.MessageCase == HandleRequest.MessageOneofCase.Body ? m.Body : null);
        var request = new HttpPluginRequest(head, body);
        var response = new HttpPluginResponse(responseStream, token);
        await HandleAsync(request, response, token).ConfigureAwait(false);
        await response.CompleteAsync().ConfigureAwait(false);
    }
}
