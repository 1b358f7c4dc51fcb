using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GrpcPlugins.Benchmarks.Internal;

/// <summary>HashiCorp go-plugin doing the same calls: built and run by peer-goplugin/run.sh from Debian's Go packages.</summary>
internal static class GoPeer
{
    /// <summary>What the Go peer measured.</summary>
    public sealed record Result(
        [property: JsonPropertyName("unary_seq_p50_us")] double UnarySeqP50,
        [property: JsonPropertyName("unary_seq_p99_us")] double UnarySeqP99,
        [property: JsonPropertyName("unary_conc_p50_us")] double UnaryConcP50,
        [property: JsonPropertyName("unary_conc_p99_us")] double UnaryConcP99,
        [property: JsonPropertyName("unary_conc_per_s")] double UnaryConcPerSecond,
        [property: JsonPropertyName("stream_mib_s")] double StreamMiBs,
        [property: JsonPropertyName("cold_start_ms")] double ColdStartMs);

    /// <summary>Runs the peer; on failure returns null and notes the exact error in the report instead of a number.</summary>
    public static async Task<Result?> RunAsync(SuiteSettings settings, Report report)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Paths.GoPeerScript);
        foreach (var arg in new[]
        {
            "-calls", settings.UnaryCalls.ToString(), "-concurrency", settings.Concurrency.ToString(),
            "-stream-mib", (settings.StreamBytes >> 20).ToString(), "-coldstarts", settings.ColdStarts.ToString(),
            "-chunk", (settings.ChunkSize ?? ChunkWriter.DefaultChunkSize).ToString(),
        })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            var error = (await stderr).Trim();
            report.Note($"go-plugin peer: not measured. `bash tests/Benchmarks/peer-goplugin/run.sh` exited with {process.ExitCode}: {error}");
            return null;
        }

        var result = JsonSerializer.Deserialize<Result>(await stdout)
            ?? throw new InvalidOperationException("The go-plugin peer printed no result.");
        report.Note("go-plugin peer: tests/Benchmarks/peer-goplugin (Go host and Go plugin in one binary, go-plugin's gRPC protocol over its Unix socket), built with GOPROXY=off from Debian's golang-go, " +
            "golang-github-hashicorp-go-plugin-dev and golang-google-grpc-dev. Its unary call carries the same three context headers and formats a reason from them; its stream is a client stream whose bytes the plugin discards.");
        return result;
    }
}
