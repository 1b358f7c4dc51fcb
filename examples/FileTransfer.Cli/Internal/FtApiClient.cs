using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace FileTransfer.Cli.Internal;

/// <summary>
/// The FileTransfer host's HTTP API over one <see cref="HttpClient"/>. Sends the session's bearer token, refreshes an
/// expired token once (and saves the new session), and turns every failure into a <see cref="ProblemError"/> or a
/// <see cref="CliError"/> whose message names the server.
/// </summary>
internal sealed class FtApiClient : IDisposable
{
    /// <summary>How a user starts the host from the repository's root, for the message when it is not running.</summary>
    public const string StartHostCommand = "dotnet run --project examples/FileTransfer.Host";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // A token that expires within this margin is refreshed first, so it does not lapse in the middle of a long upload.
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;
    private readonly SessionStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _requestTimeout;
    private Session? _session;
    private bool _refreshed;

    /// <summary>Creates the client.</summary>
    /// <param name="server">The host's base URL.</param>
    /// <param name="store">Where a refreshed session is saved.</param>
    /// <param name="session">The session for <paramref name="server"/>, or null when not logged in there.</param>
    /// <param name="time">The clock that decides whether the token has expired.</param>
    /// <param name="requestTimeout">How long a request that moves no file may take.</param>
    public FtApiClient(string server, SessionStore store, Session? session, TimeProvider time, TimeSpan requestTimeout)
    {
        ArgumentException.ThrowIfNullOrEmpty(server);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        Server = server;
        _store = store;
        _session = session;
        _time = time;
        _requestTimeout = requestTimeout;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(15),
            AutomaticDecompression = DecompressionMethods.None,
        };

        // Files move for as long as they need; requests without a file body get _requestTimeout each.
        _http = new HttpClient(handler) { BaseAddress = new Uri(server + "/"), Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ft", typeof(FtApiClient).Assembly.GetName().Version?.ToString(3) ?? "1.0.0"));
    }

    /// <summary>The host's base URL, without a trailing slash.</summary>
    public string Server { get; }

    /// <summary>The session in use, or null when not logged in to <see cref="Server"/>.</summary>
    public Session? Session => _session;

    /// <summary>Signs in and saves the new session.</summary>
    /// <param name="username">The user's name.</param>
    /// <param name="password">The user's password.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>What the host answered.</returns>
    public async Task<LoginResult> LoginAsync(string username, string password, CancellationToken cancellationToken)
    {
        var result = await SendJsonAsync<LoginResult>(
            () => new HttpRequestMessage(HttpMethod.Post, "v1/auth/login") { Content = JsonContent.Create(new LoginBody(username, password), options: Json) },
            authorized: false,
            cancellationToken).ConfigureAwait(false);
        SaveSession(result, previous: null, username, makeCurrent: true);
        return result;
    }

    /// <summary>Revokes the session's token at the host. A token the host no longer accepts counts as revoked.</summary>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>A task that completes when the host answered.</returns>
    public async Task LogoutAsync(CancellationToken cancellationToken)
    {
        var session = RequireSession();
        using var timeout = StartTimeout(cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/auth/logout");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session.Token);
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.Unauthorized)
        {
            throw await ProblemError.FromResponseAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Uploads a file with PUT /v1/files/{name}.</summary>
    /// <param name="name">The stored file's name.</param>
    /// <param name="createContent">Makes the body; called again when the request is retried after a token refresh.</param>
    /// <param name="cancellationToken">Stops the upload.</param>
    /// <returns>The stored file.</returns>
    public async Task<FileItem> UploadAsync(string name, Func<HttpContent> createContent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(createContent);
        using var response = await SendAuthorizedAsync(
            () => new HttpRequestMessage(HttpMethod.Put, "v1/files/" + Uri.EscapeDataString(name)) { Content = createContent() },
            HttpCompletionOption.ResponseContentRead,
            cancellationToken).ConfigureAwait(false);
        return await ReadJsonAsync<FileItem>(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts a download with GET /v1/files/{id}; the caller reads and disposes the response.</summary>
    /// <param name="id">The file's id.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>The successful response, its body not yet read.</returns>
    public Task<HttpResponseMessage> OpenDownloadAsync(string id, CancellationToken cancellationToken) =>
        SendAuthorizedAsync(() => new HttpRequestMessage(HttpMethod.Get, "v1/files/" + Uri.EscapeDataString(id)), HttpCompletionOption.ResponseHeadersRead, cancellationToken);

    /// <summary>Lists one page of files.</summary>
    /// <param name="prefix">Only names that start with this, or null.</param>
    /// <param name="limit">The page size, or null for the host's default.</param>
    /// <param name="pageToken">The token of the page to read, or null for the first.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>The page.</returns>
    public Task<FilePage> ListAsync(string? prefix, int? limit, string? pageToken, CancellationToken cancellationToken)
    {
        var query = new List<string>();
        if (!string.IsNullOrEmpty(prefix))
        {
            query.Add("prefix=" + Uri.EscapeDataString(prefix));
        }

        if (limit is { } pageSize)
        {
            query.Add("limit=" + pageSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (!string.IsNullOrEmpty(pageToken))
        {
            query.Add("pageToken=" + Uri.EscapeDataString(pageToken));
        }

        var uri = query.Count == 0 ? "v1/files" : "v1/files?" + string.Join('&', query);
        return SendJsonAsync<FilePage>(() => new HttpRequestMessage(HttpMethod.Get, uri), authorized: true, cancellationToken);
    }

    /// <summary>Deletes a file.</summary>
    /// <param name="id">The file's id.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>A task that completes when the host deleted it.</returns>
    public async Task DeleteAsync(string id, CancellationToken cancellationToken)
    {
        using var timeout = StartTimeout(cancellationToken);
        using var response = await SendAuthorizedAsync(
            () => new HttpRequestMessage(HttpMethod.Delete, "v1/files/" + Uri.EscapeDataString(id)),
            HttpCompletionOption.ResponseContentRead,
            timeout.Token,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the storage statistics.</summary>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>The statistics.</returns>
    public Task<StatsResult> StatsAsync(CancellationToken cancellationToken) =>
        SendJsonAsync<StatsResult>(() => new HttpRequestMessage(HttpMethod.Get, "v1/stats"), authorized: true, cancellationToken);

    /// <summary>Starts sending a stored file elsewhere.</summary>
    /// <param name="body">What to send where.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>The new transfer.</returns>
    public Task<TransferState> StartTransferAsync(TransferBody body, CancellationToken cancellationToken) =>
        SendJsonAsync<TransferState>(
            () => new HttpRequestMessage(HttpMethod.Post, "v1/transfers") { Content = JsonContent.Create(body, options: Json) },
            authorized: true,
            cancellationToken);

    /// <summary>Reads a transfer's state.</summary>
    /// <param name="id">The transfer's id.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>The state.</returns>
    public Task<TransferState> GetTransferAsync(string id, CancellationToken cancellationToken) =>
        SendJsonAsync<TransferState>(() => new HttpRequestMessage(HttpMethod.Get, "v1/transfers/" + Uri.EscapeDataString(id)), authorized: true, cancellationToken);

    /// <summary>Follows GET /v1/transfers/{id}/events until the host ends the stream.</summary>
    /// <param name="id">The transfer's id.</param>
    /// <param name="cancellationToken">Stops following.</param>
    /// <returns>The transfer's states as the host reports them.</returns>
    public async IAsyncEnumerable<TransferState> FollowTransferAsync(string id, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var response = await SendAuthorizedAsync(
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, "v1/transfers/" + Uri.EscapeDataString(id) + "/events");
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
                return request;
            },
            HttpCompletionOption.ResponseHeadersRead,
            cancellationToken).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var sse in SseParser.Create(body).EnumerateAsync(cancellationToken).ConfigureAwait(false))
        {
            if (sse.EventType is not ("progress" or SseParser.EventTypeDefault) || sse.Data.Length == 0)
            {
                continue;
            }

            TransferState? state;
            try
            {
                state = JsonSerializer.Deserialize<TransferState>(sse.Data, Json);
            }
            catch (JsonException)
            {
                throw new CliError($"{Server} sent a transfer event that is not transfer JSON: {Shorten(sse.Data)}");
            }

            if (state is not null)
            {
                yield return state;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    /// <summary>Refreshes the token now when it expires soon, so it can be handed to another host (as send does).</summary>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>The session with a token that is still valid for a while.</returns>
    public async Task<Session> EnsureFreshTokenAsync(CancellationToken cancellationToken)
    {
        var session = RequireSession();
        if (NeedsRefresh(session))
        {
            using var timeout = StartTimeout(cancellationToken);
            await RefreshAsync(timeout.Token, cancellationToken).ConfigureAwait(false);
        }

        return RequireSession();
    }

    private string LoginCommand => Server == FtContext.DefaultServer ? "ft login" : $"ft login --server {Server}";

    private Session RequireSession() =>
        _session ?? throw CliError.Auth($"not logged in to {Server}: run {LoginCommand}");

    private bool NeedsRefresh(Session session) =>
        !_refreshed && session.RefreshToken is { Length: > 0 } && session.ExpiresAt is { } expiresAt && expiresAt - RefreshMargin <= _time.GetUtcNow();

    private async Task<T> SendJsonAsync<T>(Func<HttpRequestMessage> createRequest, bool authorized, CancellationToken cancellationToken)
    {
        using var timeout = StartTimeout(cancellationToken);
        HttpResponseMessage response;
        if (authorized)
        {
            response = await SendAuthorizedAsync(createRequest, HttpCompletionOption.ResponseContentRead, timeout.Token, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            using var request = createRequest();
            response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                using (response)
                {
                    throw await ProblemError.FromResponseAsync(response, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        using (response)
        {
            return await ReadJsonAsync<T>(response, cancellationToken).ConfigureAwait(false);
        }
    }

    private Task<HttpResponseMessage> SendAuthorizedAsync(Func<HttpRequestMessage> createRequest, HttpCompletionOption completion, CancellationToken cancellationToken) =>
        SendAuthorizedAsync(createRequest, completion, cancellationToken, cancellationToken);

    private async Task<HttpResponseMessage> SendAuthorizedAsync(
        Func<HttpRequestMessage> createRequest,
        HttpCompletionOption completion,
        CancellationToken requestToken,
        CancellationToken userToken)
    {
        var session = RequireSession();
        if (NeedsRefresh(session))
        {
            await RefreshAsync(requestToken, userToken).ConfigureAwait(false);
        }

        var response = await SendWithTokenAsync(createRequest, completion, requestToken, userToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Unauthorized && !_refreshed && _session?.RefreshToken is { Length: > 0 })
        {
            // The clock may disagree with the host's, or the host restarted: one refresh, then the request once more.
            response.Dispose();
            await RefreshAsync(requestToken, userToken).ConfigureAwait(false);
            response = await SendWithTokenAsync(createRequest, completion, requestToken, userToken).ConfigureAwait(false);
        }

        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                var problem = await ProblemError.FromResponseAsync(response, userToken).ConfigureAwait(false);
                throw problem.Status == (int)HttpStatusCode.Unauthorized ? problem.WithHint($"run {LoginCommand}") : problem;
            }
        }

        return response;
    }

    private async Task<HttpResponseMessage> SendWithTokenAsync(Func<HttpRequestMessage> createRequest, HttpCompletionOption completion, CancellationToken requestToken, CancellationToken userToken)
    {
        using var request = createRequest();
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RequireSession().Token);
        return await SendRawAsync(request, completion, requestToken, userToken).ConfigureAwait(false);
    }

    private async Task RefreshAsync(CancellationToken requestToken, CancellationToken userToken)
    {
        _refreshed = true;
        var previous = RequireSession();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/auth/refresh")
        {
            Content = JsonContent.Create(new RefreshBody(previous.RefreshToken!), options: Json),
        };
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, requestToken, userToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var problem = await ProblemError.FromResponseAsync(response, userToken).ConfigureAwait(false);
            throw new ProblemError(problem.Status, problem.Code, $"The session is no longer valid and could not be refreshed: {problem.Message}", $"run {LoginCommand}");
        }

        var result = await ReadJsonAsync<LoginResult>(response, userToken).ConfigureAwait(false);
        SaveSession(result, previous, previous.Username, makeCurrent: false);
    }

    private void SaveSession(LoginResult result, Session? previous, string? username, bool makeCurrent)
    {
        if (string.IsNullOrEmpty(result.Token))
        {
            throw new CliError($"{Server} answered the login without a token; is --server a FileTransfer host?");
        }

        // A host that does not rotate refresh tokens leaves the field empty on refresh; keep the one we have.
        var refreshToken = string.IsNullOrEmpty(result.RefreshToken) ? previous?.RefreshToken : result.RefreshToken;
        _session = new Session(Server, result.Token, refreshToken, result.ExpiresAt, result.User?.Username ?? username);
        _store.Save(_session, makeCurrent);
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken requestToken, CancellationToken userToken)
    {
        try
        {
            return await _http.SendAsync(request, completion, requestToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError is HttpRequestError.NameResolutionError)
        {
            throw new CliError($"cannot reach {Server}: its host name does not resolve; check --server or FT_SERVER.");
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError)
        {
            throw new CliError($"cannot reach {Server}: is the host running? Start it with: {StartHostCommand}");
        }
        catch (OperationCanceledException) when (!userToken.IsCancellationRequested)
        {
            throw new CliError($"{Server} did not answer within {_requestTimeout.TotalSeconds:0} seconds; is the host overloaded or stuck?");
        }
    }

    private CancellationTokenSource StartTimeout(CancellationToken cancellationToken)
    {
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_requestTimeout);
        return timeout;
    }

    private async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken).ConfigureAwait(false)
                ?? throw new CliError($"{Server} sent an empty answer to {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath}.");
        }
        catch (JsonException)
        {
            throw new CliError($"{Server} answered {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath} with something that is not the FileTransfer API's JSON. Is --server right?");
        }
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "...";
}
