using Grpc.Core;
using GrpcPlugins.Http.V1;

namespace GrpcPlugins.Sdk;

/// <summary>
/// The base of a middleware plugin: say where it runs (<see cref="Stage"/>, <see cref="Priority"/>) and decide about
/// each request in <see cref="ProcessAsync"/> with <see cref="PassThrough"/> or <see cref="Respond"/>. Serve it with
/// <see cref="PluginBuilder.AddHttpMiddleware{TService}"/>. One instance serves every request.
/// </summary>
public abstract class HttpMiddlewareService : MiddlewareService.MiddlewareServiceBase
{
    /// <summary>Where in the host's pipeline the middleware runs. Defaults to before the session gate.</summary>
    protected virtual MiddlewareStage Stage => MiddlewareStage.BeforeSession;

    /// <summary>The order among middleware of the same stage: lower runs first. Defaults to 0.</summary>
    protected virtual int Priority => 0;

    /// <summary>Decides about one request.</summary>
    /// <param name="head">The request's head; user and roles are set at the after-session stage.</param>
    /// <param name="cancellationToken">Cancelled when the host's deadline passes or the client goes away.</param>
    /// <returns>The decision, from <see cref="PassThrough"/> or <see cref="Respond"/>.</returns>
    protected abstract ValueTask<ProcessResponse> ProcessAsync(RequestHead head, CancellationToken cancellationToken);

    /// <summary>Lets a request through, unchanged or with header changes.</summary>
    /// <param name="responseHeaders">Headers to set on the response, or null.</param>
    /// <returns>The decision.</returns>
    protected static ProcessResponse PassThrough(IEnumerable<KeyValuePair<string, string>>? responseHeaders = null)
    {
        var pass = new Pass();
        if (responseHeaders is not null)
        {
            pass.SetResponseHeaders.Add(responseHeaders.Select(h => new Header { Name = h.Key, Value = h.Value }));
        }

        return new ProcessResponse { Pass = pass };
    }

    /// <summary>Answers a request in the host's place with a problem.</summary>
    /// <param name="status">The HTTP status code.</param>
    /// <param name="title">The problem's short summary.</param>
    /// <param name="detail">What happened and how to fix it.</param>
    /// <param name="headers">Headers to set, such as Retry-After, or null.</param>
    /// <returns>The decision.</returns>
    protected static ProcessResponse Respond(int status, string title, string detail, IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        var respond = new ImmediateResponse { Status = status, Title = title, Detail = detail };
        if (headers is not null)
        {
            respond.Headers.Add(headers.Select(h => new Header { Name = h.Key, Value = h.Value }));
        }

        return new ProcessResponse { Respond = respond };
    }

    /// <inheritdoc />
    public sealed override Task<GetMiddlewareResponse> GetMiddleware(GetMiddlewareRequest request, ServerCallContext context) =>
        Task.FromResult(new GetMiddlewareResponse { Stage = Stage, Priority = Priority });

    /// <inheritdoc />
    public sealed override Task<ProcessResponse> Process(ProcessRequest request, ServerCallContext context) =>
        ProcessAsync(request.Head ?? new RequestHead(), context.CancellationToken).AsTask();
}
