using FileTransfer.Host.Telemetry;
using FileTransfer.Scanner.V1;
using GrpcPlugins;
using GrpcPlugins.Hosting;
using GrpcPlugins.Storage.V1;
using Microsoft.Extensions.Options;

namespace FileTransfer.Host.Scanning;

/// <summary>
/// Scans every upload with every plugin that serves <see cref="ServiceName"/>, the host's own plugin type, while the
/// upload is being stored. <see cref="Wrap"/> gives the stream to store in place of the upload's content: it passes
/// each chunk to the storage plugin and to the scanners, and reports its end only once every scanner has answered
/// clean. A refusal makes it throw <see cref="UploadRefusedException"/> instead, and a scanner that is down or fails
/// makes it throw <see cref="PluginException"/> Unavailable (unless <see cref="ScanningSettings.FailOpen"/>); a content
/// stream that fails stores nothing, so the storage plugin never commits an upload that was not judged clean.
/// </summary>
public sealed partial class UploadScanner(
    IPluginRegistry registry, MonitorQueue monitors, IOptions<FileTransferOptions> options, ILogger<UploadScanner> logger)
{
    /// <summary>The fully-qualified name of the scanner service, which plugins list in their metadata's services.</summary>
    public static string ServiceName => ScannerService.Descriptor.FullName;

    /// <summary>The name of the monitor metric event sent for each refused upload (value 1, tags name, reason, threat, scanner).</summary>
    public const string RefusedMetric = "filetransfer.upload.refused";

    /// <summary>The scanner plugins, in priority order; none while <see cref="ScanningSettings.Enabled"/> is false.</summary>
    public IReadOnlyList<PluginClient> Scanners => Settings.Enabled ? registry.Serving(ServiceName) : [];

    internal ScanningSettings Settings => options.Value.Scanning;

    /// <summary>
    /// The stream to store in place of <paramref name="content"/>: the same bytes, scanned on the way. With no scanner
    /// configured it only passes them on. Dispose it once the store has ended: that cancels scans left unfinished.
    /// </summary>
    /// <param name="metadata">The upload's metadata; its name, media type and size go to the scanners.</param>
    /// <param name="content">The upload's content.</param>
    /// <param name="cancellationToken">Cancels the scans, as when the client goes away.</param>
    /// <returns>The scanned stream; it does not dispose <paramref name="content"/>.</returns>
    public Stream Wrap(ObjectMetadata metadata, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(content);
        var header = new ScanHeader { Name = metadata.Name, MediaType = metadata.MimeType, DeclaredSize = metadata.Size };
        return new ScannedContent(this, content, header, Scanners, cancellationToken);
    }

    /// <summary>Records a refusal: a log line and a monitor event. Returns the exception to throw.</summary>
    internal UploadRefusedException Refused(string scanner, string fileName, ScanResponse verdict)
    {
        var refusal = new UploadRefusedException(scanner, fileName, verdict);
        LogRefused(logger, fileName, scanner, refusal.ReasonName, refusal.Threat ?? "-");
        monitors.Enqueue(MonitorEvents.Metric(RefusedMetric, 1, new Dictionary<string, string>
        {
            ["name"] = fileName,
            ["reason"] = refusal.ReasonName,
            ["threat"] = refusal.Threat ?? string.Empty,
            ["scanner"] = scanner,
        }));
        return refusal;
    }

    /// <summary>
    /// A scanner that could not judge the upload: the error to throw (fail closed), or null when the upload goes on
    /// without this scanner (fail open).
    /// </summary>
    internal PluginException? Failed(string scanner, string fileName, string reason)
    {
        if (Settings.FailOpen)
        {
            LogFailedOpen(logger, scanner, fileName, reason);
            return null;
        }

        LogFailedClosed(logger, scanner, fileName, reason);
        return new PluginException(
            PluginErrorCode.Unavailable,
            $"The content scanner '{scanner}' could not scan '{fileName}', so the upload was not stored: {reason.TrimEnd('.')}. Try again once the scanner runs (GET /v1/plugins shows its state), or set FileTransfer:Scanning:FailOpen=true to store uploads unscanned while a scanner is down.")
        {
            ErrorSource = PluginErrorSource.Host,
            PluginName = scanner,
        };
    }

    [LoggerMessage(1, LogLevel.Warning, "Refused the upload '{Name}': scanner {Scanner} found {Reason} {Threat}")]
    private static partial void LogRefused(ILogger logger, string name, string scanner, string reason, string threat);

    [LoggerMessage(2, LogLevel.Warning, "Scanner {Scanner} could not scan '{Name}' ({Reason}); storing it without this scanner's verdict, as FileTransfer:Scanning:FailOpen is set")]
    private static partial void LogFailedOpen(ILogger logger, string scanner, string name, string reason);

    [LoggerMessage(3, LogLevel.Warning, "Scanner {Scanner} could not scan '{Name}' ({Reason}); the upload is refused with 503 (fail closed)")]
    private static partial void LogFailedClosed(ILogger logger, string scanner, string name, string reason);
}
