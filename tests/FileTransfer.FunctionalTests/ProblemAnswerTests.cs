using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// Every error answer is problem JSON, with the fields the README documents (type, title, status, detail, code,
/// message): requests over the request-line and header limits (which Kestrel alone would answer with an empty body),
/// a malformed request body, and the session gate's 401 and 403 from its authentication scheme and policies.
/// </summary>
public sealed class ProblemAnswerTests(SharedHost shared) : IClassFixture<SharedHost>
{
    private HostProcess Host => shared.Host;

    [Fact]
    public async Task RequestLine_OverTheDocumentedLimit_Is414ProblemJson()
    {
        // 9 KiB: over the documented 8 KiB, under the limit at which Kestrel itself answers.
        var path = "/v1/files?prefix=" + new string('a', 9 * 1024);

        var answer = await SendRawAsync($"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");

        Assert.Equal(414, answer.Status);
        var problem = AssertProblem(answer, 414, "invalid_argument");
        Assert.Contains("8192", problem.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Headers_OverTheDocumentedSize_Is431ProblemJson()
    {
        var padding = new string('b', 40 * 1024);

        var answer = await SendRawAsync($"GET /v1/files HTTP/1.1\r\nHost: localhost\r\nX-Padding: {padding}\r\nConnection: close\r\n\r\n");

        Assert.Equal(431, answer.Status);
        var problem = AssertProblem(answer, 431, "invalid_argument");
        Assert.Contains("32768", problem.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Headers_OverTheDocumentedCount_Is431ProblemJson()
    {
        var headers = string.Concat(Enumerable.Range(0, 120).Select(i => $"X-Many-{i}: {i}\r\n"));

        var answer = await SendRawAsync($"GET /v1/files HTTP/1.1\r\nHost: localhost\r\n{headers}Connection: close\r\n\r\n");

        Assert.Equal(431, answer.Status);
        AssertProblem(answer, 431, "invalid_argument");
    }

    [Fact]
    public async Task ChunkedBody_Malformed_Is400ProblemJson()
    {
        // A chunk size that is not hexadecimal: the request is not valid HTTP from its body on.
        var answer = await SendRawAsync(
            "POST /v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n");

        Assert.Equal(400, answer.Status);
        AssertProblem(answer, 400, "invalid_argument");
    }

    [Fact]
    public async Task UnknownRoute_Is404ProblemWithEveryDocumentedField()
    {
        using var response = await Host.Http.GetAsync("/v1/no-such-route").WaitAsync(HostProcess.Timeout);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>().WaitAsync(HostProcess.Timeout);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Not Found", problem.GetProperty("title").GetString());
        Assert.StartsWith("https://", problem.GetProperty("type").GetString());
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
        Assert.Equal("not_found", problem.GetProperty("code").GetString());
        Assert.Contains("/v1/no-such-route", problem.GetProperty("message").GetString());
        Assert.Equal(problem.GetProperty("message").GetString(), problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task SessionRoute_NoTokenOrABadOne_Is401ProblemFromTheScheme()
    {
        using var none = await Host.Http.GetAsync("/v1/files").WaitAsync(HostProcess.Timeout);
        using var bad = Host.Client("not-a-token");
        using var invalid = await bad.GetAsync("/v1/files").WaitAsync(HostProcess.Timeout);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Contains("POST /v1/auth/login", (await ReadProblemAsync(none, "unauthenticated")).GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, invalid.StatusCode);
        Assert.Contains("The token is not valid", (await ReadProblemAsync(invalid, "unauthenticated")).GetProperty("message").GetString());
    }

    [Fact]
    public async Task AdminRoutes_NonAdmin_Is403ProblemFromTheAdminPolicy()
    {
        await AuthApiTests.AddUserAsync(Host, "carol", "writer", "carols-password");
        using var carol = Host.Client(await Host.LoginAsync("carol", "carols-password").WaitAsync(HostProcess.Timeout));

        using var plugins = await carol.GetAsync("/v1/plugins").WaitAsync(HostProcess.Timeout);
        using var extensions = await carol.GetAsync("/v1/extensions").WaitAsync(HostProcess.Timeout);
        using var files = await carol.GetAsync("/v1/files").WaitAsync(HostProcess.Timeout);

        Assert.Equal(HttpStatusCode.Forbidden, plugins.StatusCode);
        Assert.Contains("User 'carol' may not admin here", (await ReadProblemAsync(plugins, "permission_denied")).GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, extensions.StatusCode);
        Assert.Contains("User 'carol' may not admin here", (await ReadProblemAsync(extensions, "permission_denied")).GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.OK, files.StatusCode);
    }

    private static async Task<JsonElement> ReadProblemAsync(HttpResponseMessage response, string code)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>().WaitAsync(HostProcess.Timeout);
        Assert.Equal((int)response.StatusCode, problem.GetProperty("status").GetInt32());
        Assert.Equal(code, problem.GetProperty("code").GetString());
        return problem;
    }

    private static JsonElement AssertProblem(RawAnswer answer, int status, string code)
    {
        Assert.Equal("application/problem+json", answer.ContentType);
        var problem = JsonDocument.Parse(answer.Body).RootElement.Clone();
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("message").GetString()));
        return problem;
    }

    // One request on its own connection, read until the host closes it: what a client sees on the wire.
    private async Task<RawAnswer> SendRawAsync(string request)
    {
        using var deadline = new CancellationTokenSource(HostProcess.Timeout);
        var uri = new Uri(Host.BaseUrl);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port, deadline.Token);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), deadline.Token);
        var received = new MemoryStream();
        await stream.CopyToAsync(received, deadline.Token);
        var text = Encoding.UTF8.GetString(received.ToArray());
        var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(headEnd > 0, $"The host sent no complete answer: '{text}'");
        var head = text[..headEnd].Split("\r\n");
        var headers = head.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var body = text[(headEnd + 4)..];
        if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Unchunk(body);
        }

        return new RawAnswer(int.Parse(head[0].Split(' ')[1], CultureInfo.InvariantCulture), headers.GetValueOrDefault("Content-Type")?.Split(';')[0], body);
    }

    private static string Unchunk(string chunked)
    {
        var body = new StringBuilder();
        var at = 0;
        while (true)
        {
            var lineEnd = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = int.Parse(chunked[at..lineEnd], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                return body.ToString();
            }

            body.Append(chunked, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    }

    private sealed record RawAnswer(int Status, string? ContentType, string Body);
}
