using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace GrpcPlugins.Examples.AuditMonitor.Internal;

/// <summary>The monitor's own metrics, recorded in the plugin process. OpenTelemetry exports them when configured.</summary>
internal sealed class MonitorMetrics : IDisposable
{
    public const string MeterName = "GrpcPlugins.Examples.AuditMonitor";
    public const string TransfersName = "filetransfer.monitor.transfers";
    public const string BytesName = "filetransfer.monitor.bytes";
    public const string DurationName = "filetransfer.monitor.transfer.duration";
    public const string CustomName = "filetransfer.monitor.custom";
    public const string OutcomeTag = "outcome";
    public const string NameTag = "name";

    // Transfers last seconds to hours; OpenTelemetry's default buckets are meant for milliseconds.
    private static readonly double[] DurationBuckets = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

    private readonly Counter<long> _transfers;
    private readonly Counter<long> _bytes;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _custom;

    public MonitorMetrics()
    {
        Meter = new Meter(MeterName, typeof(MonitorMetrics).Assembly.GetName().Version?.ToString());
        _transfers = Meter.CreateCounter<long>(TransfersName, "{transfer}", "Transfers the host reported, by outcome: started, completed or failed.");
        _bytes = Meter.CreateCounter<long>(BytesName, "By", "Bytes moved by completed transfers.");
        _duration = Meter.CreateHistogram<double>(
            DurationName,
            "s",
            "How long transfers took, from their start to their completion or failure, by outcome.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _custom = Meter.CreateHistogram<double>(CustomName, unit: null, "Values the host sent with RecordMetric, tagged with their name and tags.");
    }

    /// <summary>The meter every instrument belongs to.</summary>
    public Meter Meter { get; }

    public void TransferStarted() => _transfers.Add(1, new KeyValuePair<string, object?>(OutcomeTag, "started"));

    public void TransferCompleted(long bytes, TimeSpan? duration)
    {
        var outcome = new KeyValuePair<string, object?>(OutcomeTag, "completed");
        _transfers.Add(1, outcome);
        if (bytes > 0)
        {
            _bytes.Add(bytes);
        }

        RecordDuration(duration, outcome);
    }

    public void TransferFailed(TimeSpan? duration)
    {
        var outcome = new KeyValuePair<string, object?>(OutcomeTag, "failed");
        _transfers.Add(1, outcome);
        RecordDuration(duration, outcome);
    }

    public void Custom(string name, double value, IEnumerable<KeyValuePair<string, string>> tags)
    {
        var tagList = default(TagList);
        foreach (var (key, tagValue) in tags)
        {
            // The metric's own name wins over a tag that claims the same key.
            if (key != NameTag)
            {
                tagList.Add(key, tagValue);
            }
        }

        tagList.Add(NameTag, name);
        _custom.Record(value, tagList);
    }

    public void Dispose() => Meter.Dispose();

    private void RecordDuration(TimeSpan? duration, KeyValuePair<string, object?> outcome)
    {
        // A start time in the future (clocks apart) gives no honest duration; better none than a wrong one.
        if (duration is { } value && value >= TimeSpan.Zero)
        {
            _duration.Record(value.TotalSeconds, outcome);
        }
    }
}
