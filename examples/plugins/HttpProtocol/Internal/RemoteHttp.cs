using System.Net.Http.Headers;
using Polly.Timeout;

namespace HttpProtocol.Internal;

/// <summary>
/// Sends one request to a remote host with a bearer token, turning every failure into a <see cref="RemoteFailure"/>.
/// The client's resilience handler (<see cref="RemoteHttpClient"/>) bounds each request by <paramref name="timeout"/>;
/// a body read or write is bounded here by the same time.
/// </summary>
internal sealed class RemoteHttp(HttpClient http, TimeSpan timeout)
{
    /// <summary>Sends a request and returns a successful response, headers read and body still open.</summary>
    /// <param name="request">The request; it is disposed with the response.</param>
    /// <param name="token">The bearer token, or empty for none.</param>
    /// <param name="action">What the request does, for error messages ("accept the upload").</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <param name="accept">Decides whether an unsuccessful status is still an answer the caller handles.</param>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string token, string action, CancellationToken cancellationToken, Func<HttpResponseMessage, bool>? accept = null)
    {
        if (!string.IsNullOrEmpty(token))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw RemoteFailure.Unreachable(request.RequestUri!, ex);
        }
        catch (TimeoutRejectedException)
        {
            throw RemoteFailure.TimedOut(request.RequestUri!, timeout);
        }

        if (response.IsSuccessStatusCode || accept?.Invoke(response) == true)
        {
            return response;
        }

        using (response)
        {
            throw await RemoteFailure.FromResponseAsync(response, action, cancellationToken);
        }
    }

    /// <summary>Runs an exchange that reads or writes a body under the same time limit and failure mapping.</summary>
    public async Task<T> WithinLimitAsync<T>(Uri url, Func<CancellationToken, Task<T>> exchange, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            return await exchange(limit.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw RemoteFailure.Unreachable(url, ex);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw RemoteFailure.TimedOut(url, timeout);
        }
    }
}
