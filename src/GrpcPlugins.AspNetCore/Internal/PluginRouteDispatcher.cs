using Grpc.Core;
using GrpcPlugins.Hosting;
using GrpcPlugins.Http.V1;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.AspNetCore.Internal;

/// <summary>Serves a request under the plugin prefix: finds its route, applies the gate, and streams it through Handle.</summary>
internal sealed class PluginRouteDispatcher(PluginRouteTable table, IOptions<PluginHttpOptions> options, ILogger<PluginRouteDispatcher> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var aborted = context.RequestAborted;
        var snapshot = await table.GetAsync(aborted).ConfigureAwait(false);
        var values = new RouteValueDictionary();
        var entry = snapshot.Match(context.Request.Method, context.Request.Path, values, out var pathMatched);
        if (entry is null)
        {
            var result = pathMatched
                ? HttpHeads.Problem(405, "Method not allowed", $"No plugin serves {context.Request.Method} {context.Request.Path}; the path exists under other methods.")
                : HttpHeads.Problem(404, "Not found", $"No plugin route matches {context.Request.Path}.");
            await result.ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var plugin = entry.Plugin;
        if (plugin.State is not (PluginState.Running or PluginState.Crashed))
        {
            var reason = plugin.LastError is { Length: > 0 } error ? $" Last error: {error}" : string.Empty;
            await Fail(context, plugin, 503, "Plugin unavailable", $"Plugin '{plugin.Name}', which serves this route, is {plugin.State.ToString().ToLowerInvariant()}.{reason} Start it again, or retry later.").ConfigureAwait(false);
            return;
        }

        var denied = await options.Value.Gate(context, entry.Gate).ConfigureAwait(false);
        if (denied is not null)
        {
            await denied.ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var head = HttpHeads.Build(context);
        head.Route = entry.Route;
        foreach (var (name, value) in values)
        {
            head.RouteValues[name] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
        }

        await ProxyAsync(context, plugin, head, aborted).ConfigureAwait(false);
    }

    private async Task ProxyAsync(HttpContext context, PluginClient plugin, RequestHead head, CancellationToken aborted)
    {
        using var scope = PluginContext.Begin(new PluginContext(UserId: head.UserId.Length > 0 ? head.UserId : null, RequestId: head.RequestId));
        using var callCancel = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        var token = callCancel.Token;
        Task upload = Task.CompletedTask;
        try
        {
            using var call = plugin.CreateClient<RouteService.RouteServiceClient>().Handle(cancellationToken: token);
            await call.RequestStream.WriteAsync(new HandleRequest { Head = head }, token).ConfigureAwait(false);
            upload = UploadAsync(context.Request.Body, call.RequestStream, token);

            if (!await call.ResponseStream.MoveNext(token).ConfigureAwait(false))
            {
                await Fail(context, plugin, 502, "Bad plugin response", $"Plugin '{plugin.Name}' ended the call without a response head.").ConfigureAwait(false);
                return;
            }

            var first = call.ResponseStream.Current;
            if (first.MessageCase != HandleResponse.MessageOneofCase.Head)
            {
                await Fail(context, plugin, 502, "Bad plugin response", $"Plugin '{plugin.Name}' sent {first.MessageCase} before the response head.").ConfigureAwait(false);
                return;
            }

            if (!HttpHeads.IsValidStatus(first.Head.Status))
            {
                await Fail(context, plugin, 502, "Bad plugin response", $"Plugin '{plugin.Name}' answered with the invalid status {first.Head.Status}.").ConfigureAwait(false);
                return;
            }

            context.Response.StatusCode = first.Head.Status;
            HttpHeads.CopyTo(first.Head.Headers, context.Response.Headers);
            while (await call.ResponseStream.MoveNext(token).ConfigureAwait(false))
            {
                var message = call.ResponseStream.Current;
                if (message.MessageCase != HandleResponse.MessageOneofCase.Body)
                {
                    // The head is out: the client cannot be told, only cut off.
                    HttpPluginLog.RouteCallFailed(logger, plugin.Name, 502, "a second response head after the body started");
                    context.Abort();
                    return;
                }

                await context.Response.Body.WriteAsync(message.Body.Memory, token).ConfigureAwait(false);
            }

            if (!context.Response.HasStarted)
            {
                await context.Response.StartAsync(token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (aborted.IsCancellationRequested && ex is OperationCanceledException or RpcException or IOException)
        {
            // The client went away; the linked token has cancelled the plugin's call.
        }
        catch (Exception ex) when (ex is RpcException or PluginException)
        {
            var code = ex is RpcException rpc ? rpc.StatusCode : ((PluginException)ex).Code switch
            {
                PluginErrorCode.Unavailable => StatusCode.Unavailable,
                PluginErrorCode.Timeout => StatusCode.DeadlineExceeded,
                PluginErrorCode.ResourceExhausted => StatusCode.ResourceExhausted,
                _ => StatusCode.Unknown,
            };
            var status = code is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted ? 503 : 502;
            var detail = ex is RpcException r ? r.Status.Detail : ex.Message;
            if (context.Response.HasStarted)
            {
                HttpPluginLog.RouteCallFailed(logger, plugin.Name, status, detail);
                context.Abort();
            }
            else
            {
                await Fail(context, plugin, status, status == 503 ? "Plugin unavailable" : "Plugin failed", $"Plugin '{plugin.Name}' failed the request: {detail}").ConfigureAwait(false);
            }
        }
        finally
        {
            await callCancel.CancelAsync().ConfigureAwait(false);
            try
            {
                await upload.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or RpcException or IOException or InvalidOperationException or PluginException)
            {
                // The plugin answered without reading the whole body, or the call ended: the rest of the body is not needed.
            }
        }
    }

    private static async Task UploadAsync(Stream body, IClientStreamWriter<HandleRequest> writer, CancellationToken token)
    {
        await ChunkWriter.CopyAsync(body, writer, chunk => new HandleRequest { Body = chunk }, cancellationToken: token).ConfigureAwait(false);
        await writer.CompleteAsync().ConfigureAwait(false);
    }

    private Task Fail(HttpContext context, PluginClient plugin, int status, string title, string detail)
    {
        HttpPluginLog.RouteCallFailed(logger, plugin.Name, status, detail);
        context.Response.Headers.Clear();
        return HttpHeads.Problem(status, title, detail).ExecuteAsync(context);
    }
}
