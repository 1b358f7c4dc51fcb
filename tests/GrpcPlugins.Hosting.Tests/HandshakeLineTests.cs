namespace GrpcPlugins.Hosting.Tests;

public sealed class HandshakeLineTests
{
    [Theory]
    [InlineData("1|1|unix|/tmp/plugin-1/plugin.sock|grpc|", "unix", "/tmp/plugin-1/plugin.sock", "")]
    [InlineData("1|1|tcp|127.0.0.1:1234|grpc|MIIBcert", "tcp", "127.0.0.1:1234", "MIIBcert")]
    [InlineData("1|1|tcp|127.0.0.1:1234|grpc", "tcp", "127.0.0.1:1234", "")]
    [InlineData("  1|1|unix|/s|grpc|\r", "unix", "/s", "")]
    [InlineData("1|1|unix|/s|grpc||true", "unix", "/s", "")]
    [InlineData("1|1|unix|/s|grpc||", "unix", "/s", "")]
    public void TryParse_ValidLine_ReturnsFields(string line, string network, string address, string cert)
    {
        var ok = HandshakeLine.TryParse(line, out var handshake, out var error);

        Assert.True(ok, error);
        Assert.Equal(1, handshake!.CoreVersion);
        Assert.Equal(1, handshake.AppVersion);
        Assert.Equal(network, handshake.Network);
        Assert.Equal(address, handshake.Address);
        Assert.Equal(cert, handshake.ServerCertificate);
    }

    [Theory]
    [InlineData("", "got 1")]
    [InlineData("hello world", "got 1")]
    [InlineData("x|1|unix|/s|grpc|", "core version 'x' is not a number")]
    [InlineData("1|-1|unix|/s|grpc|", "app version '-1' is not a number")]
    [InlineData("1|1|udp|/s|grpc|", "neither 'unix' nor 'tcp'")]
    [InlineData("1|1|unix||grpc|", "address is empty")]
    [InlineData("1|1|tcp|127.0.0.1:1", "speaks 'netrpc'")]
    [InlineData("1|1|unix|/s|grpc|c|true|extra", "got 8")]
    public void TryParse_InvalidLine_ExplainsWhy(string line, string reason)
    {
        var ok = HandshakeLine.TryParse(line, out var handshake, out var error);

        Assert.False(ok);
        Assert.Null(handshake);
        Assert.Contains(reason, error);
    }

    [Fact]
    public void ToString_ParsedBack_IsTheSameLine()
    {
        var handshake = new HandshakeLine(1, 1, "unix", "/tmp/p/plugin.sock", "grpc", string.Empty);

        var text = handshake.ToString();
        HandshakeLine.TryParse(text, out var parsed, out _);

        Assert.Equal("1|1|unix|/tmp/p/plugin.sock|grpc|", text);
        Assert.Equal(handshake, parsed);
    }
}
