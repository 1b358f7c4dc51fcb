namespace FileTransfer.Host.Scanning;

/// <summary>How uploads are scanned, bound from <c>FileTransfer:Scanning</c>.</summary>
public sealed class ScanningSettings
{
    /// <summary>
    /// Whether uploads are scanned by the plugins that serve the scanner service. False stores every upload unscanned
    /// even while a scanner plugin runs: for measuring the scanners' cost, not for production. Defaults to true.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Whether an upload is stored unscanned when a content scanner is down or fails (true), instead of being refused
    /// with 503 (false, "fail closed"). A refusal is always final, whatever this says. Defaults to false.
    /// </summary>
    public bool FailOpen { get; set; }

    /// <summary>
    /// How long the host waits for a scanner's verdict once the whole upload has been sent to it; a scanner slower than
    /// that counts as failed (see <see cref="FailOpen"/>). Defaults to 30 seconds.
    /// </summary>
    public TimeSpan VerdictTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
