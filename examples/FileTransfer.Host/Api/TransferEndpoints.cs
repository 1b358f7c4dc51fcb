using System.Text.Json;
using FileTransfer.Host.Services;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace FileTransfer.Host.Api;

/// <summary>Sending stored files elsewhere through protocol plugins, and following the transfers.</summary>
public static class TransferEndpoints
{
    /// <summary>Maps the transfer routes.</summary>
    /// <param name="session">The session-gated group.</param>
    public static void MapTransfers(this RouteGroupBuilder session)
    {
        session.MapPost("/transfers", async (TransferRequest body, HttpContext http, TransferTracker transfers) =>
            Results.Accepted(null, await transfers.StartAsync(body, http)));
        session.MapGet("/transfers/{id}", async (string id, TransferTracker transfers, CancellationToken ct) =>
            Results.Ok(await transfers.StatusAsync(id, ct)));
        session.MapPost("/transfers/{id}/cancel", async (string id, TransferTracker transfers, CancellationToken ct) =>
            Results.Ok(await transfers.CancelAsync(id, ct)));
        session.MapPost("/transfers/{id}/resume", async (string id, ResumeTransferRequest? body, HttpContext http, TransferTracker transfers) =>
            Results.Ok(await transfers.ResumeAsync(id, body?.DestinationToken, http)));
        session.MapGet("/transfers/{id}/events", StreamEventsAsync);
    }

    // Server-sent events: one "progress" event per change, the last with a final status, then the stream ends.
    private static async Task StreamEventsAsync(string id, HttpContext http, TransferTracker transfers, IOptions<JsonOptions> json)
    {
        var ct = http.RequestAborted;
        var updates = transfers.WatchAsync(id, ct).GetAsyncEnumerator(ct);
        // The first update is awaited before any byte is sent, so an unknown id still gets a 404 problem answer.
        var any = await updates.MoveNextAsync();
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        while (any)
        {
            var data = JsonSerializer.Serialize(updates.Current, json.Value.SerializerOptions);
            await http.Response.WriteAsync($"event: progress\ndata: {data}\n\n", ct);
            await http.Response.Body.FlushAsync(ct);
            any = await updates.MoveNextAsync();
        }

        await updates.DisposeAsync();
    }
}
