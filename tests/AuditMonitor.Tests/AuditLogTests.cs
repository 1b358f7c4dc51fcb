using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using GrpcPlugins.Monitor.V1;
using GrpcPlugins.Monitor.V2;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Protocol.V1;
using GrpcPlugins.TestSupport;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Examples.AuditMonitor.Tests;

public sealed class AuditLogTests : IDisposable
{
    private static readonly DateTimeOffset Noon = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TempFolder _folder = new();
    private readonly CollectingLogger<AuditMonitorService> _logger = new();
    private readonly ManualClock _clock = new(Noon);
    private readonly BoundSettings<AuditMonitorSettings> _settings = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task TransferEvents_FourKinds_WriteOneJsonLineEachWithTheirFields()
    {
        // Arrange: the folder does not exist yet; Init creates it.
        var path = _folder.File("logs", "nested", "audit.jsonl");
        await using var monitor = NewMonitor();
        await InitAsync(monitor, path);
        var context = TestCallContext.With(requestId: "req-456", userId: "user-123");
        var transfer = NewTransfer("t-1", TransferStatus.Active, bytes: 0, total: 1000);

        // Act
        await monitor.TransferStarted(new TransferStartedRequest { Transfer = transfer }, context).WaitAsync(Bounded.Timeout);
        transfer.BytesTransferred = 500;
        await monitor.TransferProgress(new TransferProgressRequest { Transfer = transfer, Progress = 0.5 }, context).WaitAsync(Bounded.Timeout);
        await monitor.TransferCompleted(
            new TransferCompletedRequest { Transfer = NewTransfer("t-1", TransferStatus.Completed, bytes: 1000, total: 1000, progress: 1) },
            context).WaitAsync(Bounded.Timeout);
        await monitor.TransferFailed(
            new TransferFailedRequest
            {
                Transfer = NewTransfer("t-2", TransferStatus.Failed, bytes: 10, total: 1000),
                Error = new PluginError { Code = ErrorCode.PermissionDenied, Message = "The destination refused the upload." },
            },
            context).WaitAsync(Bounded.Timeout);
        await monitor.ShutdownAsync(CancellationToken.None).WaitAsync(Bounded.Timeout);

        // Assert
        var records = AuditFile.ReadRecords(path);
        Assert.Equal(["transfer.started", "transfer.progress", "transfer.completed", "transfer.failed"], records.Select(r => r.GetProperty("event").GetString()));
        foreach (var record in records)
        {
            Assert.Equal(Noon.UtcDateTime, record.GetProperty("time").GetDateTime());
            Assert.EndsWith("Z", record.GetProperty("time").GetString(), StringComparison.Ordinal);
            Assert.Equal("/data/report.csv", record.GetProperty("file").GetString());
            Assert.Equal("sftp://backup.example/in", record.GetProperty("destination").GetString());
            Assert.Equal("req-456", record.GetProperty("requestId").GetString());
            Assert.Equal("user-123", record.GetProperty("userId").GetString());
            Assert.Equal(1000, record.GetProperty("totalBytes").GetInt64());
        }

        Assert.Equal("t-1", records[0].GetProperty("transferId").GetString());
        Assert.Equal("active", records[0].GetProperty("status").GetString());
        Assert.Equal(0, records[0].GetProperty("bytes").GetInt64());
        Assert.False(records[0].TryGetProperty("error", out _));

        Assert.Equal(0.5, records[1].GetProperty("progress").GetDouble());
        Assert.Equal(500, records[1].GetProperty("bytes").GetInt64());

        Assert.Equal("completed", records[2].GetProperty("status").GetString());
        Assert.Equal(1000, records[2].GetProperty("bytes").GetInt64());
        Assert.Equal(1, records[2].GetProperty("progress").GetDouble());

        Assert.Equal("t-2", records[3].GetProperty("transferId").GetString());
        Assert.Equal("failed", records[3].GetProperty("status").GetString());
        var error = records[3].GetProperty("error");
        Assert.Equal("permission_denied", error.GetProperty("code").GetString());
        Assert.Equal("The destination refused the upload.", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task RecordMetric_WithTags_WritesNameValueAndTags()
    {
        // Arrange
        var path = _folder.File("audit.jsonl");
        await using var monitor = NewMonitor();
        await InitAsync(monitor, path);
        var request = new RecordMetricRequest { Name = "filetransfer.queue.depth", Value = 42.5 };
        request.Tags.Add("queue", "outbound");
        request.Tags.Add("region", "eu");

        // Act
        await monitor.RecordMetric(request, TestCallContext.With(requestId: "req-9", transferId: "t-9")).WaitAsync(Bounded.Timeout);
        await monitor.ShutdownAsync(CancellationToken.None).WaitAsync(Bounded.Timeout);

        // Assert
        var record = Assert.Single(AuditFile.ReadRecords(path));
        Assert.Equal("metric.recorded", record.GetProperty("event").GetString());
        Assert.Equal("filetransfer.queue.depth", record.GetProperty("name").GetString());
        Assert.Equal(42.5, record.GetProperty("value").GetDouble());
        Assert.Equal("outbound", record.GetProperty("tags").GetProperty("queue").GetString());
        Assert.Equal("eu", record.GetProperty("tags").GetProperty("region").GetString());
        Assert.Equal("req-9", record.GetProperty("requestId").GetString());
        Assert.Equal("t-9", record.GetProperty("transferId").GetString());
        Assert.False(record.TryGetProperty("userId", out _));
        Assert.False(record.TryGetProperty("bytes", out _));
    }

    [Fact]
    public async Task TransferProgress_TenThousandFromEightTasks_ShutdownLosesNoLine()
    {
        // Arrange: a flush interval longer than the test, so only Shutdown can write the tail.
        const int Tasks = 8;
        const int PerTask = 1250;
        var path = _folder.File("audit.jsonl");
        await using var monitor = NewMonitor();
        await InitAsync(monitor, path, ("flush_interval_ms", "3600000"));

        // Act
        var writers = Enumerable.Range(0, Tasks).Select(t => Task.Run(async () =>
        {
            var context = TestCallContext.With(requestId: $"req-{t}");
            for (var i = 0; i < PerTask; i++)
            {
                var transfer = NewTransfer($"t-{t}", TransferStatus.Active, bytes: i, total: PerTask);
                await monitor.TransferProgress(new TransferProgressRequest { Transfer = transfer, Progress = (double)i / PerTask }, context);
            }
        }));
        await Task.WhenAll(writers).WaitAsync(Bounded.Timeout);
        await monitor.ShutdownAsync(CancellationToken.None).WaitAsync(Bounded.Timeout);

        // Assert: every line is whole JSON, and every (transfer, bytes) pair arrived once.
        var records = AuditFile.ReadRecords(path);
        Assert.Equal(Tasks * PerTask, records.Length);
        var pairs = records.Select(r => (r.GetProperty("transferId").GetString(), r.GetProperty("bytes").GetInt64())).ToHashSet();
        Assert.Equal(Tasks * PerTask, pairs.Count);
    }

    [Fact]
    public async Task TransferCompleted_LongFlushInterval_IsWrittenWithoutWaitingForShutdown()
    {
        // Arrange
        var path = _folder.File("audit.jsonl");
        await using var monitor = NewMonitor();
        await InitAsync(monitor, path, ("flush_interval_ms", "3600000"));

        // Act
        await monitor.TransferCompleted(
            new TransferCompletedRequest { Transfer = NewTransfer("t-1", TransferStatus.Completed, 10, 10) },
            TestCallContext.With()).WaitAsync(Bounded.Timeout);

        // Assert: completions are written at once, while the monitor keeps running.
        await Bounded.WaitUntilAsync(() => AuditFile.ReadLines(path).Length == 1, "the completed line in the audit file");
        Assert.Equal("transfer.completed", AuditFile.ReadRecords(path)[0].GetProperty("event").GetString());
    }

    [Fact]
    public async Task TransferProgress_ShortFlushInterval_IsWrittenWithoutShutdown()
    {
        // Arrange
        var path = _folder.File("audit.jsonl");
        await using var monitor = NewMonitor();
        await InitAsync(monitor, path, ("flush_interval_ms", "50"));

        // Act
        await monitor.TransferProgress(
            new TransferProgressRequest { Transfer = NewTransfer("t-1", TransferStatus.Active, 5, 10), Progress = 0.5 },
            TestCallContext.With()).WaitAsync(Bounded.Timeout);

        // Assert: the periodic flush writes the buffered progress line, no further event needed.
        await Bounded.WaitUntilAsync(() => AuditFile.ReadLines(path).Length == 1, "the progress line in the audit file");
    }

    [Fact]
    public async Task Events_DiskFull_AreCountedAsDroppedAndWarnedWithoutFailingCalls()
    {
        // /dev/full fails every write with ENOSPC, as a full disk does.
        if (!File.Exists("/dev/full"))
        {
            return;
        }

        // Arrange
        await using var monitor = NewMonitor();
        await InitAsync(monitor, "/dev/full");
        var log = monitor.AuditLog!;

        // Act: none of these calls may fail.
        for (var i = 0; i < 5; i++)
        {
            await monitor.TransferStarted(new TransferStartedRequest { Transfer = NewTransfer($"t-{i}", TransferStatus.Active, 0, 10) }, TestCallContext.With())
                .WaitAsync(Bounded.Timeout);
        }

        await monitor.ShutdownAsync(CancellationToken.None).WaitAsync(Bounded.Timeout);

        // Assert
        Assert.Equal(5, log.DroppedLines);
        Assert.Equal(0, log.WrittenLines);
        Assert.Contains(_logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("/dev/full", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Init_Again_LaterLinesGoToTheNewFile()
    {
        // Arrange
        var first = _folder.File("first.jsonl");
        var second = _folder.File("second.jsonl");
        await using var monitor = NewMonitor();
        await InitAsync(monitor, first, ("flush_interval_ms", "3600000"));
        await monitor.TransferProgress(new TransferProgressRequest { Transfer = NewTransfer("before", TransferStatus.Active, 1, 10) }, TestCallContext.With())
            .WaitAsync(Bounded.Timeout);

        // Act
        await InitAsync(monitor, second);
        await monitor.TransferProgress(new TransferProgressRequest { Transfer = NewTransfer("after", TransferStatus.Active, 2, 10) }, TestCallContext.With())
            .WaitAsync(Bounded.Timeout);
        await monitor.ShutdownAsync(CancellationToken.None).WaitAsync(Bounded.Timeout);

        // Assert: the buffered line was not lost by the switch.
        Assert.Equal("before", Assert.Single(AuditFile.ReadRecords(first)).GetProperty("transferId").GetString());
        Assert.Equal("after", Assert.Single(AuditFile.ReadRecords(second)).GetProperty("transferId").GetString());
    }

    [Fact]
    public async Task Init_AgainWithUnwritablePath_KeepsWritingToThePreviousFile()
    {
        // Arrange
        var path = _folder.File("audit.jsonl");
        var blocker = _folder.File("not-a-folder");
        await File.WriteAllTextAsync(blocker, "x");
        await using var monitor = NewMonitor();
        await InitAsync(monitor, path);

        // Act
        await Assert.ThrowsAsync<PluginException>(() => InitAsync(monitor, Path.Combine(blocker, "audit.jsonl")));
        await monitor.TransferStarted(new TransferStartedRequest { Transfer = NewTransfer("t-1", TransferStatus.Active, 0, 10) }, TestCallContext.With())
            .WaitAsync(Bounded.Timeout);
        await monitor.ShutdownAsync(CancellationToken.None).WaitAsync(Bounded.Timeout);

        // Assert
        Assert.Equal("t-1", Assert.Single(AuditFile.ReadRecords(path)).GetProperty("transferId").GetString());
    }

    [Fact]
    public async Task TransferStarted_AfterShutdown_ThrowsFailedPrecondition()
    {
        // Arrange
        await using var monitor = NewMonitor();
        await InitAsync(monitor, _folder.File("audit.jsonl"));
        await monitor.ShutdownAsync(CancellationToken.None).WaitAsync(Bounded.Timeout);

        // Act
        var error = await Assert.ThrowsAsync<PluginException>(
            () => monitor.TransferStarted(new TransferStartedRequest { Transfer = NewTransfer("t-1", TransferStatus.Active, 0, 10) }, TestCallContext.With())
                .WaitAsync(Bounded.Timeout));

        // Assert
        Assert.Equal(PluginErrorCode.FailedPrecondition, error.Code);
    }

    [Fact]
    public async Task RecordMetric_NotANumber_ThrowsInvalidArgumentAndWritesNothing()
    {
        // Arrange
        var path = _folder.File("audit.jsonl");
        await using var monitor = NewMonitor();
        await InitAsync(monitor, path);

        // Act
        var error = await Assert.ThrowsAsync<PluginException>(
            () => monitor.RecordMetric(new RecordMetricRequest { Name = "queue.depth", Value = double.NaN }, TestCallContext.With()).WaitAsync(Bounded.Timeout));
        await monitor.ShutdownAsync(CancellationToken.None).WaitAsync(Bounded.Timeout);

        // Assert
        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains("queue.depth", error.Message, StringComparison.Ordinal);
        Assert.Empty(AuditFile.ReadLines(path));
    }

    [Fact]
    public async Task PublishEvents_BatchOfSeveralRequests_WritesLinesInOrderEachWithItsOwnContextAndTime()
    {
        // Arrange
        var path = _folder.File("audit.jsonl");
        await using var monitor = NewMonitor();
        await InitAsync(monitor, path);
        var occurred = Noon.UtcDateTime.AddSeconds(-5);
        MonitorEvent Started(string id, string user) => new()
        {
            Context = new EventContext { TransferId = id, UserId = user, RequestId = "req-" + id },
            OccurredAt = Timestamp.FromDateTime(occurred),
            TransferStarted = new TransferStarted { Transfer = NewTransfer(id, TransferStatus.Active, 0, 10) },
        };

        // Act
        var answer = await monitor.PublishEvents(
            new PublishEventsRequest { Events = { Started("t-1", "ann"), Started("t-2", "bob"), Started("t-3", "cy") } },
            TestCallContext.With()).WaitAsync(Bounded.Timeout);
        await monitor.ShutdownAsync(CancellationToken.None).WaitAsync(Bounded.Timeout);

        // Assert
        Assert.Equal(3u, answer.Accepted);
        var records = AuditFile.ReadRecords(path);
        Assert.Equal(["t-1", "t-2", "t-3"], records.Select(r => r.GetProperty("transferId").GetString()));
        Assert.Equal(["ann", "bob", "cy"], records.Select(r => r.GetProperty("userId").GetString()));
        Assert.Equal(["req-t-1", "req-t-2", "req-t-3"], records.Select(r => r.GetProperty("requestId").GetString()));
        Assert.All(records, r => Assert.Equal(occurred, r.GetProperty("time").GetDateTime()));
    }

    [Fact]
    public async Task PublishEvents_OneBadEventInTheMiddle_ThrowsInvalidArgumentNamingItAndWritesNoneOfTheBatch()
    {
        // Arrange
        var path = _folder.File("audit.jsonl");
        await using var monitor = NewMonitor();
        await InitAsync(monitor, path);
        var good = new MonitorEvent { TransferStarted = new TransferStarted { Transfer = NewTransfer("t-1", TransferStatus.Active, 0, 10) } };
        var request = new PublishEventsRequest { Events = { good, new MonitorEvent { TransferCompleted = new TransferCompleted() }, good.Clone() } };

        // Act
        var error = await Assert.ThrowsAsync<PluginException>(() => monitor.PublishEvents(request, TestCallContext.With()).WaitAsync(Bounded.Timeout));
        await monitor.ShutdownAsync(CancellationToken.None).WaitAsync(Bounded.Timeout);

        // Assert
        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains("Event 1 ", error.Message, StringComparison.Ordinal);
        Assert.Contains("transfer_completed", error.Message, StringComparison.Ordinal);
        Assert.Empty(AuditFile.ReadLines(path));
    }

    internal static Transfer NewTransfer(string id, TransferStatus status, long bytes, long total, double progress = 0) => new()
    {
        Id = id,
        Status = status,
        BytesTransferred = bytes,
        TotalBytes = total,
        Progress = progress,
        File = "/data/report.csv",
        Destination = "sftp://backup.example/in",
        StartedAt = Timestamp.FromDateTimeOffset(Noon.AddSeconds(-30)),
    };

    private Task InitAsync(AuditMonitorService monitor, string path, params (string Key, string Value)[] extra)
    {
        var config = new Dictionary<string, string> { ["audit_log"] = path };
        foreach (var (key, value) in extra)
        {
            config[key] = value;
        }

        _settings.Bind(config);
        return monitor.InitAsync(config, CancellationToken.None).WaitAsync(Bounded.Timeout);
    }

    private AuditMonitorService NewMonitor() => new(_settings, _logger, _clock);
}
