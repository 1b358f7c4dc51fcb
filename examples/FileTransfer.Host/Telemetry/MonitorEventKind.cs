namespace FileTransfer.Host.Telemetry;

/// <summary>The kinds of monitor event.</summary>
public enum MonitorEventKind
{
    /// <summary>A transfer started.</summary>
    Started,

    /// <summary>A transfer progressed.</summary>
    Progress,

    /// <summary>A transfer completed.</summary>
    Completed,

    /// <summary>A transfer failed.</summary>
    Failed,
}
