using GrpcPlugins.Sdk.Internal;

namespace GrpcPlugins.Sdk.Tests;

/// <summary>GRPCPLUGINS_LISTEN: a plugin serving as its own service refuses to start without mutual TLS, except plaintext on loopback when asked.</summary>
public sealed class StandaloneListenTests
{
    [Fact]
    public void Read_NoListenVariable_NullWithoutError()
    {
        using var listen = StandaloneListen.Read(_ => null, out var error);

        Assert.Null(listen);
        Assert.Empty(error);
    }

    [Theory]
    [InlineData("tcp://0.0.0.0:7443", null, "needs mutual TLS")]
    [InlineData("tcp://0.0.0.0:7443", "1", "allowed only on a loopback address")]
    [InlineData("http://0.0.0.0:7443", null, "tcp://IP:PORT")]
    [InlineData("tcp://scanner:7443", null, "tcp://IP:PORT")]
    public void Read_WithoutTlsOrMalformed_RefusedWithTheVariableToSet(string address, string? insecure, string expected)
    {
        using var listen = StandaloneListen.Read(
            name => name switch
            {
                StandaloneListen.ListenVariable => address,
                StandaloneListen.InsecureVariable => insecure,
                _ => null,
            },
            out var error);

        Assert.Null(listen);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_InsecureOnLoopback_ServesPlaintextThere()
    {
        using var listen = StandaloneListen.Read(
            name => name switch
            {
                StandaloneListen.ListenVariable => "tcp://127.0.0.1:0",
                StandaloneListen.InsecureVariable => "1",
                _ => null,
            },
            out var error);

        Assert.NotNull(listen);
        Assert.Empty(error);
        Assert.Null(listen.Certificate);
        Assert.Equal("127.0.0.1:0", listen.EndPoint.ToString());
    }
}
