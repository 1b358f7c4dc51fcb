using System.Collections.Concurrent;
using Grpc.Core;
using GrpcPlugins.Hosting;
using GrpcPlugins.Http.V1;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.AspNetCore.Internal;

/// <summary>Asks the middleware plugins of one stage about a request, in priority order.</summary>
internal sealed class PluginMiddlewareRunner(IPluginRegistry registry, IOptions<PluginHttpOptions> options, ILogger<PluginMiddlewareRunner> logger)
{
    internal static readonly string ServiceName = MiddlewareService.Descriptor.FullName;
    private readonly ConcurrentDictionary<string, (int ProcessId, GetMiddlewareResponse Position)> _positions = new(StringComparer.Ordinal);

    /// <summary>Lists each known middleware plugin's position, for a dashboard.</summary>
    public IReadOnlyDictionary<string, GetMiddlewareResponse> Positions => _positions.ToDictionary(p => p.Key, p => p.Value.Position);

    /// <summary>Runs the stage; returns null to go on, or the result that answers the request.</summary>
    public async Task<IResult?> RunAsync(HttpContext context, MiddlewareStage stage)
    {
        var settings = options.Value;
        var aborted = context.RequestAborted;
        var serving = registry.Serving(ServiceName);
        var listed = registry.Plugins.Where(p => p.Metadata.Services.Contains(ServiceName) || _positions.ContainsKey(p.Name)).ToList();
        var ordered = serving.Where(listed.Contains).Concat(listed.Where(p => !serving.Contains(p)));
        var chain = new List<(PluginClient Plugin, int Priority)>();
        foreach (var plugin in ordered)
        {
            var position = await PositionAsync(plugin, settings, aborted).ConfigureAwait(false);
            var pluginStage = position?.Stage is null or MiddlewareStage.Unspecified ? MiddlewareStage.BeforeSession : position.Stage;
            if (pluginStage == stage)
            {
                chain.Add((plugin, position?.Priority ?? 0));
            }
        }

        List<Header>? responseHeaders = null;
        foreach (var (plugin, _) in chain.OrderBy(c => c.Priority))
        {
            ProcessResponse decision;
            try
            {
                if (plugin.State is not (PluginState.Running or PluginState.Crashed))
                {
                    throw new PluginException(PluginErrorCode.Unavailable, $"it is {plugin.State.ToString().ToLowerInvariant()}");
                }

                var head = HttpHeads.Build(context);
                using var scope = PluginContext.Begin(new PluginContext(UserId: head.UserId.Length > 0 ? head.UserId : null, RequestId: head.RequestId));
                decision = await plugin.CreateClient<MiddlewareService.MiddlewareServiceClient>()
                    .ProcessAsync(new ProcessRequest { Head = head }, deadline: DateTime.UtcNow + settings.MiddlewareTimeout, cancellationToken: aborted)
                    .ConfigureAwait(false);
            }
            catch (Exception ex) when (!aborted.IsCancellationRequested && ex is RpcException or PluginException)
            {
                var code = ex is RpcException rpc ? rpc.StatusCode : ((PluginException)ex).Code == PluginErrorCode.Timeout ? StatusCode.DeadlineExceeded : StatusCode.Unavailable;
                var why = code == StatusCode.DeadlineExceeded
                    ? $"it did not answer within {settings.MiddlewareTimeout.TotalSeconds:0.###} s"
                    : ex is RpcException r ? r.Status.Detail : ex.Message;
                var open = settings.FailOpen.Contains(plugin.Name);
                HttpPluginLog.MiddlewareFailed(logger, plugin.Name, why, open ? "open" : "closed");
                if (open)
                {
                    continue;
                }

                return HttpHeads.Problem(503, "Middleware unavailable", $"Middleware plugin '{plugin.Name}' could not check this request: {why}. Retry later; an operator can restart the plugin or let it fail open.");
            }

            switch (decision.DecisionCase)
            {
                case ProcessResponse.DecisionOneofCase.Pass:
                    Apply(context.Request.Headers, decision.Pass);
                    (responseHeaders ??= []).AddRange(decision.Pass.SetResponseHeaders);
                    break;
                case ProcessResponse.DecisionOneofCase.Respond when HttpHeads.IsValidStatus(decision.Respond.Status):
                    var respond = decision.Respond;
                    HttpHeads.CopyTo(responseHeaders ?? [], context.Response.Headers);
                    HttpHeads.CopyTo(respond.Headers, context.Response.Headers);
                    return HttpHeads.Problem(respond.Status, respond.Title, respond.Detail);
                default:
                    var what = decision.DecisionCase == ProcessResponse.DecisionOneofCase.None ? "no decision" : $"the invalid status {decision.Respond.Status}";
                    HttpPluginLog.MiddlewareFailed(logger, plugin.Name, what, "with 502");
                    return HttpHeads.Problem(502, "Bad middleware response", $"Middleware plugin '{plugin.Name}' answered with {what}.");
            }
        }

        if (responseHeaders is { Count: > 0 })
        {
            var headers = responseHeaders;
            context.Response.OnStarting(() =>
            {
                HttpHeads.CopyTo(headers, context.Response.Headers);
                return Task.CompletedTask;
            });
        }

        return null;
    }

    private static void Apply(IHeaderDictionary headers, Pass pass)
    {
        foreach (var name in pass.RemoveRequestHeaders)
        {
            headers.Remove(name);
        }

        foreach (var group in pass.SetRequestHeaders.GroupBy(h => h.Name, StringComparer.OrdinalIgnoreCase))
        {
            headers[group.Key] = group.Select(h => h.Value).ToArray();
        }
    }

    private async Task<GetMiddlewareResponse?> PositionAsync(PluginClient plugin, PluginHttpOptions settings, CancellationToken cancellationToken)
    {
        var pid = plugin.ProcessId;
        if (_positions.TryGetValue(plugin.Name, out var known) && (known.ProcessId == pid || plugin.State != PluginState.Running))
        {
            return known.Position;
        }

        if (plugin.State != PluginState.Running)
        {
            return null;
        }

        try
        {
            var position = await plugin.CreateClient<MiddlewareService.MiddlewareServiceClient>()
                .GetMiddlewareAsync(new GetMiddlewareRequest(), deadline: DateTime.UtcNow + settings.DescribeTimeout, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            _positions[plugin.Name] = (pid, position);
            return position;
        }
        catch (Exception ex) when (ex is RpcException or PluginException)
        {
            // Not known: it runs before the session (fails closed there) until it can say where it belongs.
            HttpPluginLog.DescribeFailed(logger, plugin.Name, ex);
            return null;
        }
    }
}
