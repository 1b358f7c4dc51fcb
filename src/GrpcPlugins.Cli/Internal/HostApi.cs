using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace GrpcPlugins.Cli.Internal;

/// <summary>
/// The plugin management API of a running host (GrpcPlugins.Management's routes, mounted at a base path such as
/// /v1/plugins), called with an optional bearer token.
/// </summary>
internal sealed class HostApi : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _basePath;
    private readonly bool _hasToken;

    public HostApi(string server, string basePath, string? token)
    {
        if (!Uri.TryCreate(server.TrimEnd('/') + "/", UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
        {
            throw new CliError($"--server '{server}' is not an http or https address such as http://127.0.0.1:5080.", ExitCodes.Usage);
        }

        // Relative to the server's address, which may itself have a path (a host behind a proxy at /ft/, say).
        _basePath = basePath.Trim('/');
        if (_basePath.Length == 0 || _basePath.Contains("//", StringComparison.Ordinal) || _basePath.Contains('?') || _basePath.Contains('#'))
        {
            throw new CliError($"--base-path '{basePath}' is not a path such as {CliCommands.DefaultBasePath}.", ExitCodes.Usage);
        }

        Host = baseUri.ToString().TrimEnd('/');
        _http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromMinutes(5) };
        _hasToken = !string.IsNullOrEmpty(token);
        if (_hasToken)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public string Host { get; }

    public Task<JsonElement> ListAsync(CancellationToken cancellationToken) => SendAsync(HttpMethod.Get, _basePath, null, cancellationToken);

    public Task<JsonElement> GetAsync(string name, CancellationToken cancellationToken) => SendAsync(HttpMethod.Get, Route(name), null, cancellationToken);

    /// <summary>Uploads a package; the host installs it (201 Created) or, for a newer version of an installed plugin, upgrades it (200 OK).</summary>
    public async Task<(JsonElement Plugin, bool Upgraded)> UploadAsync(string packagePath, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(packagePath);
        using var content = new StreamContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        var (status, plugin) = await SendWithStatusAsync(HttpMethod.Post, _basePath + "/upload", content, cancellationToken).ConfigureAwait(false);
        return (plugin, status == HttpStatusCode.OK);
    }

    public Task<JsonElement> SetStatusAsync(string name, string status, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Put, Route(name), JsonContent.Create(new { status }), cancellationToken);

    public Task<JsonElement> UninstallAsync(string name, CancellationToken cancellationToken) => SendAsync(HttpMethod.Delete, Route(name), null, cancellationToken);

    public Task<JsonElement> ListKeysAsync(CancellationToken cancellationToken) => SendAsync(HttpMethod.Get, _basePath + "/keys", null, cancellationToken);

    public Task<JsonElement> AddKeyAsync(string publicKeyPem, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, _basePath + "/keys", new StringContent(publicKeyPem, System.Text.Encoding.UTF8, "application/x-pem-file"), cancellationToken);

    public Task<JsonElement> RemoveKeyAsync(string fingerprint, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, _basePath + "/keys/" + Uri.EscapeDataString(fingerprint), null, cancellationToken);

    public void Dispose() => _http.Dispose();

    private string Route(string name) => _basePath + "/" + Uri.EscapeDataString(name);

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken) =>
        (await SendWithStatusAsync(method, path, content, cancellationToken).ConfigureAwait(false)).Body;

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendWithStatusAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new CliError($"cannot reach the host at {Host}: {ex.Message}. Is it running?");
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
            }

            var message = text;
            try
            {
                var problem = JsonDocument.Parse(text).RootElement;
                message = $"{problem.GetProperty("code").GetString()}: {problem.GetProperty("message").GetString()}";
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                // Not the host's problem JSON (a proxy's page, say); show what came.
            }

            if (response.StatusCode == HttpStatusCode.Unauthorized && !_hasToken)
            {
                message += $" (no token was sent: pass --token or set {CliCommands.TokenVariable})";
            }

            throw new CliError($"{Host} answered {(int)response.StatusCode}: {message}", response.StatusCode switch
            {
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ExitCodes.Auth,
                HttpStatusCode.NotFound => ExitCodes.NotFound,
                HttpStatusCode.BadRequest => ExitCodes.Refused,
                HttpStatusCode.Conflict => ExitCodes.Conflict,
                _ => ExitCodes.Failure,
            });
        }
    }
}
