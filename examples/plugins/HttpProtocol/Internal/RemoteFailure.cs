using System.Net;
using System.Text.Json;

namespace HttpProtocol.Internal;

/// <summary>
/// A remote host refused or failed a request. <see cref="Transient"/> failures (unreachable, timed out,
/// 5xx, 408, 429) are worth another attempt; the rest need someone to act, so the transfer fails at once.
/// </summary>
internal sealed class RemoteFailure(string message, bool transient, HttpStatusCode? status = null, Exception? inner = null)
    : Exception(message, inner)
{
    public bool Transient { get; } = transient;

    public HttpStatusCode? Status { get; } = status;

    public static RemoteFailure Unreachable(Uri url, Exception inner) =>
        new($"Cannot reach {url.GetLeftPart(UriPartial.Authority)} ({inner.Message}).", transient: true, inner: inner);

    public static RemoteFailure TimedOut(Uri url, TimeSpan timeout) =>
        new($"{url.GetLeftPart(UriPartial.Authority)} did not answer within {timeout.TotalSeconds:0} s.", transient: true);

    /// <summary>Builds the failure for an unsuccessful answer, keeping the message of a problem-details body.</summary>
    public static async Task<RemoteFailure> FromResponseAsync(HttpResponseMessage response, string action, CancellationToken cancellationToken)
    {
        var status = response.StatusCode;
        var url = response.RequestMessage?.RequestUri;
        var detail = await ProblemMessageAsync(response, cancellationToken);
        var transient = (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
        // A refused sign-in is told as what to do here: the remote host's own message speaks to API clients (routes, headers).
        var message = status switch
        {
            HttpStatusCode.Unauthorized => $"{Authority(url)} refused to {action}: it needs a signed-in user's token (401). Sign in to that host and give its token as the transfer's destination token; a token expires, and a restart of that host signs everyone out.",
            HttpStatusCode.Forbidden => $"{Authority(url)} refused to {action}: the destination token's user lacks the role this needs there (403). Use a token of a user allowed to upload on that host.",
            _ => $"{Authority(url)} refused to {action}: {(int)status} {detail.TrimEnd().TrimEnd('.')}.",
        };
        return new RemoteFailure(message, transient, status);
    }

    private static string? Authority(Uri? url) => url?.GetLeftPart(UriPartial.Authority);

    private static async Task<string> ProblemMessageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("message", out var message) ? message.GetString() ?? response.ReasonPhrase ?? string.Empty : body;
        }
        catch (JsonException)
        {
            return response.ReasonPhrase ?? string.Empty;
        }
    }
}
