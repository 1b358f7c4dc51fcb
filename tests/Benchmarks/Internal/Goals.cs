using System.Globalization;
using System.Text;

namespace GrpcPlugins.Benchmarks.Internal;

/// <summary>
/// Issue 17's goals, each read off this run's rows: the figure, whether it is met, and, where it is not, what the
/// measurements say stands in the way (the A/B rows behind each sentence are in tests/Benchmarks/TUNING.md).
/// </summary>
internal static class Goals
{
    private static readonly Goal[] All =
    [
        new("Uploads through the file-transfer host at 0.9× the plain ASP.NET Core server or better", IsHostRate("uploads"), Ratio.ToLimit, AtLeast: true, 0.9,
            "The storage plugin's share: it still receives every byte over its data channel and fsyncs, on the same 2 cores as the host and the client; see TUNING.md, session 9."),
        new("Downloads through the file-transfer host at 0.9× the plain ASP.NET Core server or better", IsHostRate("downloads"), Ratio.ToLimit, AtLeast: true, 0.9,
            "The host process's own CPU per GiB downloaded (the row above): see TUNING.md, session 9, for where it goes."),
        new("Downloads through the file-transfer host at 0.5× nginx or better", IsHostRate("downloads"), Ratio.ToPeer, AtLeast: true, 0.5,
            "nginx sends files with sendfile(2), 0.16 s of CPU per GiB; ASP.NET Core copies every byte through user space (the plain server needs 1 s per GiB), so no Kestrel server reaches half of nginx on 2 cores."),
        new("Unary, sequential, p50 at 0.9× go-plugin or better", Named("Unary Authorize, sequential, p50"), Ratio.ToPeer, AtLeast: false, 0.9,
            "Parity within this machine's noise: go-plugin's own figure moves by 20-40 % between runs (TUNING.md, session 9)."),
        new("Unary, sequential, p99 at 0.9× go-plugin or better", Named("Unary Authorize, sequential, p99"), Ratio.ToPeer, AtLeast: false, 0.9,
            "Parity within this machine's noise (TUNING.md, session 9)."),
        new("Unary, 16 callers, p50 at 0.9× go-plugin or better", Named("Unary Authorize, 16 callers, p50"), Ratio.ToPeer, AtLeast: false, 0.9,
            "Both processes and 16 callers share 2 cores; the host and the plugin each spend about 40-55 µs of CPU per call, and more connections did not lower it (TUNING.md, session 9)."),
        new("Unary, 16 callers, p99 at 0.9× go-plugin or better", Named("Unary Authorize, 16 callers, p99"), Ratio.ToPeer, AtLeast: false, 0.9,
            "At the line rather than past it in this run: the host and the plugin each spend about 40 µs of CPU per call on 2 shared cores, go-plugin's own p99 moves by 20-40 % between runs, and more connections per plugin did not lower ours (TUNING.md, session 9)."),
        new("Cold start of a JIT plugin in 150 ms or less", Named("Cold start, spawn to Init returned, median"), Ratio.Value, AtLeast: false, 150,
            "A JIT plugin spends 430-550 ms of CPU until Init (the row above): perf puts a third in the kernel (mapping and faulting in the runtime and assemblies), 28 % in the runtime's type loading and 17 % in the JIT (about 1,400 methods before Init); the SDK's share was cut (TUNING.md), the runtime's is fixed. NativeAOT is the way under 150 ms (next goal's row)."),
        new("Cold start of a NativeAOT plugin in 20 ms or less", Named("Cold start, NativeAOT plugin, spawn to Init returned, median"), Ratio.Value, AtLeast: false, 20,
            "A NativeAOT plugin spends 40-80 ms of CPU until Init (the row above), almost all of it building ASP.NET Core's host and Kestrel, which gRPC for .NET requires; go-plugin's Go server starts in 6-8 ms."),
        new("First successful upload within 1 s of the storage plugin's SIGKILL, 200 clients busy", Named("Recovery, storage plugin SIGKILLed"), Ratio.Value, AtLeast: false, 1000,
            "The host sees the exit within tens of milliseconds and restarts after 10 ms; the rest is the JIT plugin's start (about 0.7 s of CPU) competing with 200 clients for 2 cores. A NativeAOT storage plugin (`-p:PluginsAot=true`) starts on 40-60 ms of CPU."),
    ];

    /// <summary>The goals as a Markdown section, read off <paramref name="rows"/>.</summary>
    public static string ToMarkdown(IReadOnlyList<Row> rows)
    {
        var md = new StringBuilder();
        md.AppendLine("## Issue 17's goals in this run").AppendLine();
        md.AppendLine("| Goal | This run | Met? | What stands in the way |");
        md.AppendLine("| --- | --- | --- | --- |");
        foreach (var goal in All)
        {
            var row = rows.FirstOrDefault(goal.Matches);
            if (row is null)
            {
                md.AppendLine($"| {goal.Name} | not measured in this run | — | — |");
                continue;
            }

            var (figure, shown) = goal.Read(row);
            if (double.IsNaN(figure))
            {
                md.AppendLine($"| {goal.Name} | {shown} | — | — |");
                continue;
            }

            var met = goal.AtLeast ? figure >= goal.Threshold : figure <= goal.Threshold;
            md.AppendLine($"| {goal.Name} | {shown} | {(met ? "yes" : "no")} | {(met ? "—" : goal.InTheWay)} |");
        }

        return md.ToString();
    }

    private static Func<Row, bool> Named(string prefix) => row => row.Measure.StartsWith(prefix, StringComparison.Ordinal);

    private static Func<Row, bool> IsHostRate(string phase) => row =>
        row.Measure.StartsWith("File-transfer host: ", StringComparison.Ordinal) && row.Measure.Contains(" concurrent ", StringComparison.Ordinal)
        && row.Measure.EndsWith(" " + phase, StringComparison.Ordinal) && row.Unit == "MiB/s";

    private enum Ratio
    {
        Value,
        ToLimit,
        ToPeer,
    }

    private sealed record Goal(string Name, Func<Row, bool> Matches, Ratio Of, bool AtLeast, double Threshold, string InTheWay)
    {
        public (double Figure, string Shown) Read(Row row)
        {
            if (Of == Ratio.Value)
            {
                return (row.Value, $"{Row.Format(row.Value)} {row.Unit}");
            }

            var reference = Of == Ratio.ToPeer ? row.Peer : row.Limit;
            if (reference is null || reference.Value == 0 || double.IsNaN(reference.Value))
            {
                return (double.NaN, $"{Row.Format(row.Value)} {row.Unit}, no {(Of == Ratio.ToPeer ? "peer" : "reference")} figure");
            }

            var ratio = row.Value / reference.Value;
            return (ratio, string.Create(CultureInfo.InvariantCulture, $"{ratio:0.00}× ({Row.Format(row.Value)} against {Row.Cell(reference)})"));
        }
    }
}
