using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FileTransfer.Host.Telemetry;

/// <summary>The file-transfer host's own metrics, on the Meter "FileTransfer.Host".</summary>
public static class FileTransferTelemetry
{
    /// <summary>The name of the host's Meter.</summary>
    public const string MeterName = "FileTransfer.Host";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Bytes = Meter.CreateCounter<long>("filetransfer.bytes", "By", "Bytes uploaded, downloaded and transferred to other hosts.");
    private static readonly UpDownCounter<long> Active = Meter.CreateUpDownCounter<long>("filetransfer.transfers.active", "{transfer}", "Transfers to other hosts in progress.");
    // Transfers last seconds to hours; OpenTelemetry's default buckets suit milliseconds.
    private static readonly Histogram<double> Duration = Meter.CreateHistogram(
        "filetransfer.transfer.duration",
        "s",
        "How long transfers to other hosts took, by final status.",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600] });

    /// <summary>Counts bytes that moved in one direction: "upload", "download" or "transfer".</summary>
    /// <param name="direction">The direction.</param>
    /// <param name="count">The bytes.</param>
    public static void RecordBytes(string direction, long count) =>
        Bytes.Add(count, new KeyValuePair<string, object?>("filetransfer.direction", direction));

    /// <summary>Counts a transfer as started and returns its start time for <see cref="TransferEnded"/>.</summary>
    /// <returns>The start timestamp.</returns>
    public static long TransferStarted()
    {
        Active.Add(1);
        return Stopwatch.GetTimestamp();
    }

    /// <summary>Counts a transfer as ended, with its duration and final status.</summary>
    /// <param name="startedAt">What <see cref="TransferStarted"/> returned.</param>
    /// <param name="status">The final status, such as "completed" or "failed".</param>
    /// <param name="bytes">The bytes the receiver acknowledged.</param>
    public static void TransferEnded(long startedAt, string status, long bytes)
    {
        Active.Add(-1);
        Duration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, new KeyValuePair<string, object?>("filetransfer.status", status));
        RecordBytes("transfer", bytes);
    }
}
