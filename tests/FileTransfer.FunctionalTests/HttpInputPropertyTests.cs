using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CsCheck;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// Random HTTP inputs against a real host: file names in the route, Range headers, JSON bodies and listing queries.
/// Each answer is a success or a clear 4xx problem; none is a 5xx, and the host keeps serving. The number of cases
/// is bounded so the test takes seconds.
/// </summary>
public sealed class HttpInputPropertyTests
{
    private const int FileSize = 1000;

    private static readonly Gen<string> Junk = Gen.OneOf(
        Gen.String,
        Gen.Char["%2Fbytes=0123456789-,. /\\\"{}[]:é€\0\n"].Array[0, 30].Select(c => new string(c)));

    // Any bytes at all, percent-encoded, so the route sees invalid UTF-8, encoded slashes and control characters too.
    private static readonly Gen<string> RouteSegment = Gen.OneOf(
        Gen.Byte.Array[1, 300].Select(b => string.Concat(b.Select(x => $"%{x:X2}"))),
        Gen.Char["abc.%2F5C"].Array[1, 12].Select(c => new string(c)),
        Gen.Char.AlphaNumeric.Array[1, 20].Select(c => Uri.EscapeDataString(new string(c))));

    // A range bound: a number near the file's edges, or missing.
    private static readonly Gen<string> Bound = Gen.OneOf(Gen.Long[-3, FileSize + 3].Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture)), Gen.Const(string.Empty));

    private static readonly Gen<string> RangeHeader = Gen.OneOf(
        Gen.Select(Bound, Bound).Select(t => $"bytes={t.Item1}-{t.Item2}"),
        Gen.Select(Gen.Long[0, FileSize + 3], Gen.Long[0, FileSize + 3], Gen.Long[0, 3]).Select(t => $"bytes={t.Item1}-{t.Item2}, {t.Item3}-"),
        Gen.Char["bytes=0123456789-, ;xX"].Array[0, 25].Select(c => new string(c)),
        Gen.Long.Select(l => $"bytes={l}-"),
        Gen.Long.Select(l => $"bytes=-{l}"));

    private static readonly Gen<string> JsonValue = Gen.OneOf(
        Gen.String.Select(s => JsonSerializer.Serialize(s)),
        Gen.Long.Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Gen.Char["nultrefas0123456789[]{}\",:.eE-+\\u"].Array[0, 12].Select(c => new string(c)),
        Gen.Const("null"), Gen.Const("true"), Gen.Const("[]"), Gen.Const("{}"), Gen.Const("1e999"), Gen.Const("\"\\uD800\""));

    private static readonly Gen<string> JsonBody = Gen.OneOf(
        Junk,
        Gen.Select(Gen.Char["abcdefghijklmnopqrstuvwxyz"].Array[0, 12].Select(c => new string(c)), JsonValue).Array[0, 5]
            .Select(fields => "{" + string.Join(',', fields.Select(f => $"{JsonSerializer.Serialize(f.Item1)}:{f.Item2}")) + "}"),
        Gen.Select(JsonValue, JsonValue, JsonValue)
            .Select(t => $"{{\"username\":{t.Item1},\"password\":{t.Item2},\"fileId\":{t.Item3},\"destination\":{t.Item2},\"protocol\":{t.Item1}}}"));

    [Fact]
    public async Task Api_RandomInputs_SuccessOrClear4xxProblem()
    {
        await using var host = await HostProcess.StartAsync();
        using var client = host.Client(await host.LoginAsync());
        var content = Enumerable.Range(0, FileSize).Select(i => (byte)(i * 7)).ToArray();
        using var put = await client.PutAsync("/v1/files/fuzz.bin", new ByteArrayContent(content));
        var id = (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        await RouteSegment.SampleAsync(async segment =>
        {
            using var response = await client.PutAsync($"/v1/files/{segment}", new ByteArrayContent([1, 2, 3]));
            if (segment.Contains("%00", StringComparison.Ordinal))
            {
                // Kestrel itself refuses a NUL in the path with a bare 400 before any of the host's code runs.
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                return;
            }

            await AssertClearAsync(response, HttpStatusCode.Created);
        }, iter: 80, threads: 2);

        await RouteSegment.SampleAsync(async segment =>
        {
            segment = segment.Replace("%00", "%01", StringComparison.Ordinal);
            using var get = await client.GetAsync($"/v1/files/{segment}");
            await AssertClearAsync(get);
            using var delete = await client.DeleteAsync($"/v1/files/{segment}x");
            await AssertClearAsync(delete);
        }, iter: 60, threads: 2);

        await RangeHeader.SampleAsync(async range =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/files/{id}");
            request.Headers.TryAddWithoutValidation("Range", range);
            using var response = await client.SendAsync(request);
            await AssertClearAsync(response, HttpStatusCode.OK, HttpStatusCode.PartialContent, HttpStatusCode.RequestedRangeNotSatisfiable);
            var body = await response.Content.ReadAsByteArrayAsync();
            if (response.StatusCode == HttpStatusCode.PartialContent)
            {
                var part = response.Content.Headers.ContentRange!;
                Assert.Equal(content[(int)part.From!.Value..(int)(part.To!.Value + 1)], body);
            }
            else if (response.StatusCode == HttpStatusCode.OK)
            {
                Assert.Equal(content, body);
            }
        }, iter: 120, threads: 2);

        await Gen.Select(JsonBody, Gen.Bool).SampleAsync(async (json, asJson) =>
        {
            using var login = await host.Http.PostAsync("/v1/auth/login", Body(json, asJson));
            await AssertClearAsync(login);
            using var transfer = await client.PostAsync("/v1/transfers", Body(json, asJson));
            await AssertClearAsync(transfer);
            using var refresh = await host.Http.PostAsync("/v1/auth/refresh", Body(json, asJson));
            await AssertClearAsync(refresh);
        }, iter: 80, threads: 2);

        await Gen.Select(Junk, Junk, Junk).SampleAsync(async (prefix, limit, token) =>
        {
            using var response = await client.GetAsync($"/v1/files?prefix={Uri.EscapeDataString(Clean(prefix))}&limit={Uri.EscapeDataString(Clean(limit))}&pageToken={Uri.EscapeDataString(Clean(token))}");
            await AssertClearAsync(response, HttpStatusCode.OK);
            using var numeric = await client.GetAsync($"/v1/files?limit={limit.Length - 5}&prefix=f");
            await AssertClearAsync(numeric, HttpStatusCode.OK);
        }, iter: 80, threads: 2);

        // Still serving, and the file is intact.
        Assert.Equal(content, await client.GetByteArrayAsync($"/v1/files/{id}"));
        Assert.DoesNotContain("failed unexpectedly", host.Output);
    }

    private static StringContent Body(string json, bool asJson) =>
        new(json, Encoding.UTF8, asJson ? "application/json" : "text/plain");

    // Uri.EscapeDataString refuses lone surrogates; a client could not send them either.
    private static string Clean(string text) => new([.. text.Where(c => !char.IsSurrogate(c))]);

    private static async Task AssertClearAsync(HttpResponseMessage response, params HttpStatusCode[] successes)
    {
        var status = (int)response.StatusCode;
        if (successes.Contains(response.StatusCode))
        {
            return;
        }

        if (status < 400)
        {
            Assert.True(successes.Length == 0 || successes.Contains(response.StatusCode), $"{response.RequestMessage?.RequestUri}: unexpected {status}");
            return;
        }

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status < 500, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {status} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(text);
        Assert.Equal(status, body.RootElement.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(body.RootElement.GetProperty("message").GetString()), text);
    }
}
