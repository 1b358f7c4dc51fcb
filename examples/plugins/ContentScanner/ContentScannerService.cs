using ContentScanner.Internal;
using FileTransfer.Scanner.V1;
using Grpc.Core;
using GrpcPlugins;
using GrpcPlugins.Sdk;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ContentScanner;

/// <summary>
/// A content scanner for the file-transfer host (<c>filetransfer.scanner.v1.ScannerService</c>, a custom plugin type
/// the host defines): refuses the EICAR anti-virus test file, content past <c>max_size_bytes</c>, and the media types
/// in <c>refused_media_types</c>, including executables recognised by their first bytes when
/// <c>application/x-dosexec</c> is refused.
/// </summary>
/// <param name="settings">The Init config, bound and validated by the SDK before <see cref="InitAsync"/> runs.</param>
/// <param name="logger">Logs the settings in force and each refusal.</param>
public sealed partial class ContentScannerService(IOptionsMonitor<ContentScannerSettings> settings, ILogger<ContentScannerService> logger) : ScannerService.ScannerServiceBase, IPluginLifecycle
{
    private volatile ScanRules _rules = ScanRules.Default;

    /// <summary>The rules in force: those of the last Init that succeeded.</summary>
    internal ScanRules Rules => _rules;

    /// <summary>
    /// Takes the settings of this Init (<see cref="ContentScannerSettings"/>, both optional); a later Init (a config
    /// changed through the management API) replaces them for the scans that start after it.
    /// </summary>
    /// <param name="config">The Init map, already bound to <see cref="ContentScannerSettings"/>.</param>
    /// <param name="cancellationToken">Not used: Init does no I/O.</param>
    /// <returns>A completed task.</returns>
    public Task InitAsync(IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        var rules = ScanRules.From(settings.CurrentValue);
        _rules = rules;
        LogSettings(logger, rules.MaxSizeBytes, string.Join(',', rules.RefusedMediaTypes.Order(StringComparer.Ordinal)));
        return Task.CompletedTask;
    }

    /// <summary>Reads the header, then the content chunk by chunk, and answers the verdict; a certain refusal early.</summary>
    /// <param name="requestStream">The header, then the chunks.</param>
    /// <param name="context">The call.</param>
    /// <returns>The verdict.</returns>
    public override async Task<ScanResponse> Scan(IAsyncStreamReader<ScanRequest> requestStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(context);
        var ct = context.CancellationToken;
        if (!await requestStream.MoveNext(ct) || requestStream.Current.PartCase != ScanRequest.PartOneofCase.Header)
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, "A Scan must start with a header message (name, media type, declared size); send it before any chunk.");
        }

        var header = requestStream.Current.Header;
        var inspector = new ContentInspector(_rules);
        var verdict = inspector.Begin(header);
        while (verdict is null && await requestStream.MoveNext(ct))
        {
            if (requestStream.Current.PartCase != ScanRequest.PartOneofCase.Chunk)
            {
                throw new PluginException(PluginErrorCode.InvalidArgument, $"A Scan sent a {requestStream.Current.PartCase} message after its header; only chunks may follow it.");
            }

            verdict = inspector.Add(requestStream.Current.Chunk.Span);
        }

        verdict ??= inspector.Finish();
        if (verdict.Verdict == Verdict.Refused)
        {
            LogRefused(logger, header.Name, verdict.Reason, verdict.Threat, inspector.Length);
        }

        return verdict;
    }

    [LoggerMessage(1, LogLevel.Information, "Scanning with max_size_bytes={MaxSizeBytes} (0: no limit), refused_media_types={RefusedMediaTypes}")]
    private static partial void LogSettings(ILogger logger, long maxSizeBytes, string refusedMediaTypes);

    [LoggerMessage(2, LogLevel.Warning, "Refused '{Name}': {Reason} {Threat} after {Bytes} bytes")]
    private static partial void LogRefused(ILogger logger, string name, RefusalReason reason, string threat, long bytes);
}
