using System.Collections.Concurrent;
using System.Globalization;
using GrpcPlugins.Http.V1;
using GrpcPlugins.Sdk;
using Microsoft.Extensions.Options;

namespace GrpcPlugins.Examples.QuotaMiddleware;

/// <summary>
/// Enforces per-user limits after the host's session gate: at most <c>requests_per_minute</c> requests in each minute
/// (429 with Retry-After past it), and at most <c>upload_quota_bytes</c> bytes uploaded with PUT /v1/files/* (413 past it,
/// judged from Content-Length before the body reaches storage). A setting of 0, the default, turns its limit off.
/// Counts live in memory: a restart of the plugin starts them afresh.
/// </summary>
/// <param name="settings">The Init config, bound and validated by the SDK before <see cref="InitAsync"/> runs.</param>
public sealed class QuotaService(IOptionsMonitor<QuotaSettings> settings) : HttpMiddlewareService, IPluginLifecycle
{
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _uploaded = new(StringComparer.Ordinal);
    private long _requestsPerMinute;
    private long _uploadQuotaBytes;

    /// <inheritdoc />
    protected override MiddlewareStage Stage => MiddlewareStage.AfterSession;

    /// <inheritdoc />
    public Task InitAsync(IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        var current = settings.CurrentValue;
        _requestsPerMinute = current.RequestsPerMinute;
        _uploadQuotaBytes = current.UploadQuotaBytes;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask<ProcessResponse> ProcessAsync(RequestHead head, CancellationToken cancellationToken)
    {
        var user = string.IsNullOrEmpty(head.UserId) ? "anonymous" : head.UserId;
        if (_requestsPerMinute > 0)
        {
            var now = DateTimeOffset.UtcNow;
            var minute = now.ToUnixTimeSeconds() / 60;
            var window = _windows.AddOrUpdate(user, _ => new Window(minute, 1), (_, w) => w.Minute == minute ? w with { Count = w.Count + 1 } : new Window(minute, 1));
            if (window.Count > _requestsPerMinute)
            {
                var retryAfter = Math.Max(1, ((minute + 1) * 60) - now.ToUnixTimeSeconds());
                return ValueTask.FromResult(Respond(
                    429,
                    "Too many requests",
                    $"User '{user}' made more than {_requestsPerMinute} requests this minute; retry after {retryAfter} s.",
                    [new("Retry-After", retryAfter.ToString(CultureInfo.InvariantCulture))]));
            }
        }

        if (_uploadQuotaBytes > 0 && head.Method == "PUT" && head.Path.StartsWith("/v1/files/", StringComparison.Ordinal))
        {
            var length = head.Headers.FirstOrDefault(h => h.Name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))?.Value;
            if (!long.TryParse(length, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            {
                return ValueTask.FromResult(Respond(411, "Length required", $"Uploads count against a quota of {_uploadQuotaBytes} bytes; send Content-Length."));
            }

            var used = _uploaded.GetOrAdd(user, 0);
            if (used + size > _uploadQuotaBytes)
            {
                return ValueTask.FromResult(Respond(
                    413,
                    "Upload quota exceeded",
                    $"User '{user}' has uploaded {used} of {_uploadQuotaBytes} bytes; this upload of {size} bytes does not fit. Ask an administrator for a larger quota."));
            }

            _uploaded.AddOrUpdate(user, size, (_, u) => u + size);
        }

        return ValueTask.FromResult(PassThrough());
    }

    private sealed record Window(long Minute, long Count);
}
