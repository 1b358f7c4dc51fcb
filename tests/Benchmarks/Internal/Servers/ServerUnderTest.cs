using System.Diagnostics;
using System.Net.Http.Headers;

namespace GrpcPlugins.Benchmarks.Internal.Servers;

/// <summary>
/// One server the file-transfer comparison drives: where it listens, the bearer token it wants, its root process
/// (whose descendants are counted with it), and how to stop it. Uploads are PUT /v1/files/{name}; downloads GET
/// /v1/files/{id}, where the id is the "id" of the upload's JSON answer, or the name when <see cref="IdFromBody"/> is false.
/// </summary>
internal sealed record ServerUnderTest(string Name, Uri BaseUrl, string Token, Process Root, Func<Task> StopAsync, bool IdFromBody)
{
    /// <summary>A client for this server with its token set; one connection per concurrent transfer.</summary>
    public HttpClient NewClient()
    {
        var http = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromMinutes(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return http;
    }

    /// <summary>Waits until the server answers HTTP at all (any status), or fails saying the process ended or the time ran out.</summary>
    public async Task WaitUntilAnsweringAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(5) };
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (Root.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {Root.ExitCode} before it answered on {BaseUrl}.");
            }

            try
            {
                using var _ = await http.GetAsync("/v1/files/none");
                return;
            }
            catch (HttpRequestException) when (watch.Elapsed < timeout)
            {
                await Task.Delay(100);
            }
            catch (TaskCanceledException) when (watch.Elapsed < timeout)
            {
            }
        }
    }
}
