using FileTransfer.Scanner.V1;

namespace ContentScanner.Internal;

/// <summary>
/// Judges one upload from its header and its content, fed in chunks as they arrive. It keeps only the first
/// <see cref="Eicar.MaxFileLength"/> bytes, so memory stays flat whatever the size. <see cref="Begin"/> and
/// <see cref="Add"/> answer a refusal as soon as one is certain (a refused type, a size past the limit, an executable's
/// first bytes), so the caller can stop reading; <see cref="Finish"/> gives the verdict once the content has ended.
/// </summary>
internal sealed class ContentInspector(ScanRules settings)
{
    private readonly byte[] _head = new byte[Eicar.MaxFileLength];
    private int _headLength;
    private long _length;
    private string _name = string.Empty;

    /// <summary>How many bytes of content have been added.</summary>
    public long Length => _length;

    /// <summary>Checks the header: the declared media type and size.</summary>
    /// <param name="header">The upload's header.</param>
    /// <returns>A refusal, or null to go on reading.</returns>
    public ScanResponse? Begin(ScanHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        _name = header.Name;
        var mediaType = ScanRules.Normalize(header.MediaType);
        if (mediaType.Length > 0 && settings.RefusedMediaTypes.Contains(mediaType))
        {
            return Refuse(
                RefusalReason.MediaTypeRefused,
                $"'{_name}' is of the media type {mediaType}, which this server does not accept; upload another type of file.");
        }

        return header.DeclaredSize > 0 && settings.MaxSizeBytes > 0 && header.DeclaredSize > settings.MaxSizeBytes
            ? TooLarge(header.DeclaredSize)
            : null;
    }

    /// <summary>Adds the next chunk of content.</summary>
    /// <param name="chunk">The bytes, in order after the previous chunk.</param>
    /// <returns>A refusal, or null to go on reading.</returns>
    public ScanResponse? Add(ReadOnlySpan<byte> chunk)
    {
        var before = _headLength;
        if (_headLength < _head.Length)
        {
            var take = Math.Min(chunk.Length, _head.Length - _headLength);
            chunk[..take].CopyTo(_head.AsSpan(_headLength));
            _headLength += take;
        }

        _length += chunk.Length;
        if (settings.MaxSizeBytes > 0 && _length > settings.MaxSizeBytes)
        {
            return TooLarge(_length);
        }

        // Decided once, when the second byte arrives.
        if (settings.RefusesExecutables && before < 2 && _headLength >= 2 && _head[0] == (byte)'M' && _head[1] == (byte)'Z')
        {
            return Refuse(
                RefusalReason.MediaTypeRefused,
                $"'{_name}' is a DOS or Windows executable (it starts with \"MZ\"), which this server does not accept; upload another type of file.");
        }

        return null;
    }

    /// <summary>The verdict once the content has ended.</summary>
    /// <returns>Clean, or refused with the reason.</returns>
    public ScanResponse Finish()
    {
        if (_length <= Eicar.MaxFileLength && Eicar.IsTestFile(_head.AsSpan(0, _headLength)))
        {
            var refusal = Refuse(
                RefusalReason.Malware,
                $"'{_name}' is the EICAR anti-virus test file, which the content scanner refuses as it would a virus; the upload was not stored.");
            refusal.Threat = Eicar.ThreatName;
            return refusal;
        }

        return new ScanResponse { Verdict = Verdict.Clean, BytesScanned = _length };
    }

    private ScanResponse TooLarge(long size) => Refuse(
        RefusalReason.TooLarge,
        $"'{_name}' is {size} bytes or more, past the scanner's limit of {settings.MaxSizeBytes} bytes (its max_size_bytes setting); upload a smaller file.");

    private ScanResponse Refuse(RefusalReason reason, string message) =>
        new() { Verdict = Verdict.Refused, Reason = reason, Message = message, BytesScanned = _length };
}
