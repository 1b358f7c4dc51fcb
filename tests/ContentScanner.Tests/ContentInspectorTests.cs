using System.Text;
using ContentScanner.Internal;
using FileTransfer.Scanner.V1;
using Microsoft.Extensions.Configuration;

namespace ContentScanner.Tests;

public sealed class ContentInspectorTests
{
    private static readonly byte[] EicarBytes = Eicar.Signature.ToArray();

    [Fact]
    public void Finish_ExactEicar_RefusedAsMalwareNamingTheThreat()
    {
        var verdict = Scan(EicarBytes);

        Assert.Equal(Verdict.Refused, verdict.Verdict);
        Assert.Equal(RefusalReason.Malware, verdict.Reason);
        Assert.Equal("EICAR-Test-File", verdict.Threat);
        Assert.Contains("EICAR", verdict.Message, StringComparison.Ordinal);
        Assert.Equal(68, verdict.BytesScanned);
    }

    [Theory]
    [InlineData("\r\n")]
    [InlineData(" \t \n")]
    [InlineData("\u001a")]
    public void Finish_EicarWithTrailingWhitespace_RefusedAsMalware(string whitespace)
    {
        var verdict = Scan([.. EicarBytes, .. Encoding.ASCII.GetBytes(whitespace)]);

        Assert.Equal(RefusalReason.Malware, verdict.Reason);
    }

    [Fact]
    public void Finish_EicarPaddedWithWhitespaceTo128Bytes_RefusedAsMalware()
    {
        var verdict = Scan([.. EicarBytes, .. Enumerable.Repeat((byte)' ', 128 - 68)]);

        Assert.Equal(RefusalReason.Malware, verdict.Reason);
    }

    [Fact]
    public void Finish_EicarPaddedPast128Bytes_Clean()
    {
        var verdict = Scan([.. EicarBytes, .. Enumerable.Repeat((byte)' ', 129 - 68)]);

        Assert.Equal(Verdict.Clean, verdict.Verdict);
    }

    [Fact]
    public void Finish_EicarFollowedByText_Clean()
    {
        var verdict = Scan([.. EicarBytes, .. "hello"u8.ToArray()]);

        Assert.Equal(Verdict.Clean, verdict.Verdict);
    }

    [Fact]
    public void Finish_EicarInsideALargerFile_Clean()
    {
        var content = new byte[4096];
        Random.Shared.NextBytes(content);
        EicarBytes.CopyTo(content, 1000);

        var verdict = Scan(content);

        Assert.Equal(Verdict.Clean, verdict.Verdict);
        Assert.Equal(4096, verdict.BytesScanned);
    }

    [Fact]
    public void Finish_EicarAfterLeadingBytes_Clean()
    {
        var verdict = Scan([.. "x"u8.ToArray(), .. EicarBytes]);

        Assert.Equal(Verdict.Clean, verdict.Verdict);
    }

    [Fact]
    public void Finish_EicarSplitAcrossOneByteChunks_RefusedAsMalware()
    {
        var inspector = new ContentInspector(ScanRules.Default);
        Assert.Null(inspector.Begin(Header()));
        foreach (var b in EicarBytes)
        {
            Assert.Null(inspector.Add([b]));
        }

        Assert.Equal(RefusalReason.Malware, inspector.Finish().Reason);
    }

    [Fact]
    public void Finish_EmptyContent_Clean()
    {
        Assert.Equal(Verdict.Clean, Scan([]).Verdict);
    }

    [Fact]
    public void Add_PastMaxSize_RefusedAsTooLargeAtOnce()
    {
        var inspector = new ContentInspector(Settings(("max_size_bytes", "1000")));
        Assert.Null(inspector.Begin(Header()));

        Assert.Null(inspector.Add(new byte[600]));
        var verdict = inspector.Add(new byte[401]);

        Assert.NotNull(verdict);
        Assert.Equal(RefusalReason.TooLarge, verdict.Reason);
        Assert.Contains("1000", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Finish_ExactlyMaxSize_Clean()
    {
        var verdict = Scan(new byte[1000], Settings(("max_size_bytes", "1000")));

        Assert.Equal(Verdict.Clean, verdict.Verdict);
    }

    [Fact]
    public void Begin_DeclaredSizePastMax_RefusedAsTooLarge()
    {
        var inspector = new ContentInspector(Settings(("max_size_bytes", "1000")));

        var verdict = inspector.Begin(Header(declaredSize: 5000));

        Assert.Equal(RefusalReason.TooLarge, verdict?.Reason);
    }

    [Theory]
    [InlineData("application/x-msdownload")]
    [InlineData("Application/X-MSDownload; charset=binary")]
    public void Begin_RefusedMediaType_RefusedNamingTheType(string mediaType)
    {
        var inspector = new ContentInspector(Settings(("refused_media_types", "application/x-msdownload, application/x-dosexec")));

        var verdict = inspector.Begin(Header(mediaType: mediaType));

        Assert.Equal(RefusalReason.MediaTypeRefused, verdict?.Reason);
        Assert.Contains("application/x-msdownload", verdict!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Begin_OtherMediaType_GoesOn()
    {
        var inspector = new ContentInspector(Settings(("refused_media_types", "application/x-msdownload")));

        Assert.Null(inspector.Begin(Header(mediaType: "text/plain")));
    }

    [Fact]
    public void Add_MzWhenDosExecutablesRefused_RefusedAfterTheSecondByte()
    {
        var inspector = new ContentInspector(Settings(("refused_media_types", "application/x-dosexec")));
        Assert.Null(inspector.Begin(Header(mediaType: "application/octet-stream")));

        Assert.Null(inspector.Add("M"u8));
        var verdict = inspector.Add("Z\u0090\u0000"u8);

        Assert.Equal(RefusalReason.MediaTypeRefused, verdict?.Reason);
        Assert.Contains("MZ", verdict!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Finish_MzWhenDosExecutablesNotRefused_Clean()
    {
        var verdict = Scan("MZ\u0090\u0000rest"u8.ToArray(), Settings(("refused_media_types", "application/x-msdownload")));

        Assert.Equal(Verdict.Clean, verdict.Verdict);
    }

    [Fact]
    public void Finish_MzLaterInTheFile_Clean()
    {
        var verdict = Scan("xxMZ"u8.ToArray(), Settings(("refused_media_types", "application/x-dosexec")));

        Assert.Equal(Verdict.Clean, verdict.Verdict);
    }

    // The rules of settings bound as the plugin binds them (keys as in the Init map).
    private static ScanRules Settings(params (string Key, string Value)[] pairs) =>
        ScanRules.From(new ConfigurationBuilder().AddInMemoryCollection(pairs.Select(p => KeyValuePair.Create(p.Key, (string?)p.Value))).Build().Get<ContentScannerSettings>() ?? new());

    private static ScanHeader Header(string mediaType = "application/octet-stream", long declaredSize = 0) =>
        new() { Name = "upload.bin", MediaType = mediaType, DeclaredSize = declaredSize };

    private static ScanResponse Scan(byte[] content, ScanRules? settings = null)
    {
        var inspector = new ContentInspector(settings ?? ScanRules.Default);
        var verdict = inspector.Begin(Header(declaredSize: content.Length));
        for (var offset = 0; verdict is null && offset < content.Length; offset += 7)
        {
            verdict = inspector.Add(content.AsSpan(offset, Math.Min(7, content.Length - offset)));
        }

        return verdict ?? inspector.Finish();
    }
}
