using CsCheck;

namespace GrpcPlugins.Hosting.Tests;

/// <summary>Property tests of the handshake parser: whatever a plugin prints, the host gets a handshake or a short reason, never a crash.</summary>
public sealed class HandshakeLinePropertyTests
{
    // Characters a broken or hostile plugin might print, weighted towards the ones the format cares about.
    private static readonly Gen<string> AnyLine = Gen.OneOf(
        Gen.String,
        Gen.Char["0123456789|unixtcpgr -\t\r\n\0é€/:."].Array[0, 80].Select(c => new string(c)),
        Gen.Select(Gen.Int, Gen.Int, Gen.String, Gen.String, Gen.String, Gen.String).Select(t => $"{t.Item1}|{t.Item2}|{t.Item3}|{t.Item4}|{t.Item5}|{t.Item6}"));

    private static readonly Gen<HandshakeLine> ValidHandshake =
        Gen.Select(
            Gen.Int[0, int.MaxValue],
            Gen.Int[0, int.MaxValue],
            Gen.Bool,
            Gen.Char.Where(c => c != '|').Array[1, 60].Select(c => new string(c)),
            Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"].Array[0, 200].Select(c => new string(c)))
        .Select(t => new HandshakeLine(t.Item1, t.Item2, t.Item3 ? HandshakeLine.UnixNetwork : HandshakeLine.TcpNetwork, t.Item4, HandshakeLine.GrpcProtocol, t.Item5));

    [Fact]
    public void TryParse_AnyLine_ReturnsHandshakeOrShortReasonWithoutThrowing()
    {
        AnyLine.Sample(line =>
        {
            var ok = HandshakeLine.TryParse(line, out var handshake, out var error);

            Assert.Equal(ok, handshake is not null);
            Assert.Equal(ok, error.Length == 0);
            // The reason quotes at most a truncated field, so a megabyte of garbage makes a short message.
            Assert.True(error.Length < 300, error);
        }, iter: 5000);
    }

    [Fact]
    public void TryParse_FormattedHandshake_RoundTrips()
    {
        ValidHandshake.Sample(expected =>
        {
            var ok = HandshakeLine.TryParse(expected.ToString(), out var parsed, out var error);

            Assert.True(ok, error);
            Assert.Equal(expected, parsed);
        }, iter: 2000);
    }

    [Fact]
    public void TryParse_HandshakeWithOneFieldBroken_SaysWhichField()
    {
        Gen.Select(ValidHandshake, Gen.Int[0, 3], Gen.Char.AlphaNumeric.Array[1, 10].Select(c => new string(c))).Sample(t =>
        {
            var (handshake, field, junk) = t;
            var broken = field switch
            {
                0 => handshake with { Network = "x" + junk },
                1 => handshake with { Address = string.Empty },
                2 => handshake with { Protocol = "net" + junk },
                _ => handshake,
            };
            var line = field == 3 ? "v" + junk + broken.ToString()[broken.ToString().IndexOf('|')..] : broken.ToString();

            var ok = HandshakeLine.TryParse(line, out _, out var error);

            Assert.False(ok);
            Assert.Contains(field switch { 0 => "network", 1 => "address", 2 => "speaks", _ => "core version" }, error);
        }, iter: 1000);
    }
}
