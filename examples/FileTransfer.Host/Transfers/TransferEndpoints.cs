using System.Net.ServerSentEvents;
using System.Text.Json;
using FileTransfer.Host.Auth;
using FileTransfer.Host.Files;
using FileTransfer.Host.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace FileTransfer.Host.Transfers;

/// <summary>Sending stored files elsewhere through protocol plugins, and following the transfers.</summary>
public static class TransferEndpoints
{
    /// <summary>The most transfers <c>GET /v1/transfers</c> returns, and its default.</summary>
    public const int MaxListed = 200;

    /// <summary>The type of every event of <c>GET /v1/transfers/{id}/events</c>.</summary>
    public const string ProgressEvent = "progress";

    /// <summary>Maps the transfer routes.</summary>
    /// <param name="session">The session-gated group.</param>
    public static void MapTransfers(this RouteGroupBuilder session)
    {
        session.MapPost("/transfers", async (TransferRequest body, HttpContext http, TransferTracker transfers, PluginSelector plugins) =>
        {
            // A user sends only the files they may read (their own; an admin's, any).
            if (!string.IsNullOrEmpty(body.FileId))
            {
                var file = await plugins.Storage.StatAsync(body.FileId, http.RequestAborted);
                await FileOwnership.RequireAsync(http, body.FileId, file, GrpcPlugins.Auth.V1.Action.Read);
            }

            return Results.Accepted(null, await transfers.StartAsync(body, http.SessionUser().Id, http.BearerToken(), $"{http.Request.Scheme}://{http.Request.Host}", http.RequestAborted));
        });

        // A user sees, follows, cancels and resumes only the transfers they started; an admin, everyone's.
        session.MapGet("/transfers", async (HttpContext http, TransferTracker transfers, int? limit, CancellationToken ct) =>
            Results.Ok(new TransferListDto(await transfers.ListAsync(limit is > 0 and <= MaxListed ? limit.Value : MaxListed, await ViewerAsync(http), ct))));
        session.MapGet("/transfers/{id}", async (string id, HttpContext http, TransferTracker transfers, CancellationToken ct) =>
            Results.Ok(await transfers.StatusAsync(id, await ViewerAsync(http), ct)));
        session.MapPost("/transfers/{id}/cancel", async (string id, HttpContext http, TransferTracker transfers, CancellationToken ct) =>
            Results.Ok(await transfers.CancelAsync(id, await ViewerAsync(http), ct)));
        session.MapPost("/transfers/{id}/resume", async (string id, HttpContext http, TransferTracker transfers, IOptions<JsonOptions> json) =>
        {
            var body = await ReadOptionalBodyAsync<ResumeTransferRequest>(http, json.Value.SerializerOptions);
            return Results.Ok(await transfers.ResumeAsync(id, body?.DestinationToken, await ViewerAsync(http), http.BearerToken(), $"{http.Request.Scheme}://{http.Request.Host}", http.RequestAborted));
        });
        session.MapGet("/transfers/{id}/events", StreamEventsAsync);
    }

    // Whose transfers the signed-in user sees: their own (their id), or everyone's for an admin (null).
    private static async Task<string?> ViewerAsync(HttpContext http) => await http.IsAdminAsync() ? null : http.SessionUser().Id;

    // A body-bound parameter would make the route refuse a request without a JSON body, and this body is optional.
    private static async Task<T?> ReadOptionalBodyAsync<T>(HttpContext http, JsonSerializerOptions options)
        where T : class
    {
        if (http.Request.ContentLength is 0 || (http.Request.ContentLength is null && !http.Request.Headers.ContainsKey("Transfer-Encoding")))
        {
            return null;
        }

        try
        {
            return await JsonSerializer.DeserializeAsync<T>(http.Request.Body, options, http.RequestAborted);
        }
        catch (JsonException ex)
        {
            throw ApiErrors.BadRequest($"The body is not valid JSON ({ex.Message}); send {{\"destinationToken\": \"...\"}} or no body.");
        }
    }

    // Server-sent events: one "progress" event per change, the last with a final status, then the stream ends. A stream
    // starts from the transfer's current state, so it carries no event ids: a client that reconnects gets the state anew.
    private static async Task<IResult> StreamEventsAsync(string id, HttpContext http, TransferTracker transfers)
    {
        var ct = http.RequestAborted;
        var updates = transfers.WatchAsync(id, await ViewerAsync(http), ct).GetAsyncEnumerator(ct);
        // The first update is awaited before any byte is sent, so an unknown id still gets a 404 problem answer.
        if (!await updates.MoveNextAsync())
        {
            await updates.DisposeAsync();
            return TypedResults.ServerSentEvents(AsyncEnumerable.Empty<SseItem<TransferDto>>());
        }

        return TypedResults.ServerSentEvents(ProgressEvents(updates));
    }

    private static async IAsyncEnumerable<SseItem<TransferDto>> ProgressEvents(IAsyncEnumerator<TransferDto> updates)
    {
        await using (updates)
        {
            do
            {
                yield return new SseItem<TransferDto>(updates.Current, ProgressEvent);
            }
            while (await updates.MoveNextAsync());
        }
    }
}
