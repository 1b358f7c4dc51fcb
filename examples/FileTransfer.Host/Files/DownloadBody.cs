using System.Buffers;

namespace FileTransfer.Host.Files;

/// <summary>
/// Copies a download's content from the storage plugin into the response. When the plugin fails after the last byte
/// has gone out (it died before ending its call, say), the client already has the whole, correct body: the response
/// finishes normally and the keep-alive connection stays usable. Only a body cut short is aborted, so the client sees a
/// broken response, never a short one read as complete. Either way the failure is one Warning line, not an error. A
/// failure before the first byte goes out is not caught: nothing is sent yet, so the caller answers it as a typed problem.
/// </summary>
public static partial class DownloadBody
{
    /// <summary>Copies <paramref name="length"/> bytes of <paramref name="content"/> to the response body.</summary>
    /// <param name="content">The content from the storage plugin.</param>
    /// <param name="http">The request being answered.</param>
    /// <param name="length">The length announced in Content-Length.</param>
    /// <param name="logger">Where a failure is logged.</param>
    /// <returns>True when the whole body was sent; false when it was cut short and the connection aborted.</returns>
    public static async Task<bool> CopyAsync(Stream content, HttpContext http, long length, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(http);
        var ct = http.RequestAborted;
        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        long sent = 0;
        try
        {
            int read;
            while (sent < length && (read = await content.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - sent)), ct)) > 0)
            {
                await http.Response.Body.WriteAsync(buffer.AsMemory(0, read), ct);
                sent += read;
            }

            if (sent < length)
            {
                LogCut(logger, http.Request.Path, sent, length, "the storage plugin ended the content early");
                http.Abort();
                return false;
            }

            return true;
        }
        catch (Exception ex) when ((ex is not OperationCanceledException || !ct.IsCancellationRequested) && (sent > 0 || http.Response.HasStarted))
        {
            if (sent == length)
            {
                LogFailedAfterEnd(logger, http.Request.Path, length, ex.Message);
                return true;
            }

            LogCut(logger, http.Request.Path, sent, length, ex.Message);
            http.Abort();
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [LoggerMessage(20, LogLevel.Warning, "Download {Path} cut after {Sent} of {Length} bytes, so the connection was aborted: {Reason}")]
    private static partial void LogCut(ILogger logger, string path, long sent, long length, string reason);

    [LoggerMessage(21, LogLevel.Warning, "Download {Path}: all {Length} bytes were sent, then the storage plugin failed ({Reason}); the response completed normally")]
    private static partial void LogFailedAfterEnd(ILogger logger, string path, long length, string reason);
}
