using ContentScanner.Internal;
using FileTransfer.Scanner.V1;
using Grpc.Core;
using GrpcPlugins;
using GrpcPlugins.Sdk;
using Microsoft.Extensions.Logging;

namespace ContentScanner;

/// <summary>
/// A content scanner for the file-transfer host (<c>filetransfer.scanner.v1.ScannerService</c>, a custom plugin type
/// the host defines): refuses the EICAR anti-virus test file, content past <c>max_size_bytes</c>, and the media types
/// in <c>refused_media_types</c>, including executables recognised by their first bytes when
/// <c>application/x-dosexec</c> is refused.
/// </summary>
public sealed partial class ContentScannerService(ILogger<ContentScannerService> logger) : ScannerService.ScannerServiceBase, IPluginLifecycle
{
    private volatile ScannerSettings _settings = ScannerSettings.Default;

    /// <summary>Reads <c>max_size_bytes</c> and <c>refused_media_types</c>; both are optional.</summary>
    /// <param name="config">The Init map.</param>
    /// <param name="cancellationToken">Not used: Init does no I/O.</param>
    /// <returns>A completed task.</returns>
    /// <exception cref="PluginException">InvalidArgument: a setting is not valid; the message says which and how to fix it.</exception>
    public Task InitAsync(IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        var settings = ScannerSettings.Parse(config);
        _settings = settings;
        LogSettings(logger, settings.MaxSizeBytes, string.Join(',', settings.RefusedMediaTypes.Order(StringComparer.Ordinal)));
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
        var inspector = new ContentInspector(_settings);
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
