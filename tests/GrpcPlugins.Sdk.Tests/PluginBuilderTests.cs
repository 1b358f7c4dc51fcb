using Microsoft.Extensions.DependencyInjection;

namespace GrpcPlugins.Sdk.Tests;

public sealed class PluginBuilderTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1023)]
    public void MaxMessageSize_BelowOneKiB_ThrowsNamingTheValue(int size)
    {
        var builder = new PluginBuilder(new ServiceCollection());

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => builder.MaxMessageSize = size);

        Assert.Equal("value", error.ParamName);
        Assert.Equal(4 * 1024 * 1024, builder.MaxMessageSize);
    }

    [Fact]
    public void MaxMessageSize_OneKiBOrMore_IsKept()
    {
        var builder = new PluginBuilder(new ServiceCollection()) { MaxMessageSize = 16 * 1024 };

        Assert.Equal(16 * 1024, builder.MaxMessageSize);
    }
}
