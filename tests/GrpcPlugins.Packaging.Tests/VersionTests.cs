using GrpcPlugins.Packaging;

namespace GrpcPlugins.Packaging.Tests;

/// <summary>Semantic Versioning 2.0 ordering and syntax, as packages' versions and host-version constraints use them.</summary>
public sealed class VersionTests
{
    [Theory]
    [InlineData("2.0.0-beta.9", "2.0.0-beta.10")]
    [InlineData("2.0.0-beta.2", "2.0.0-beta.11")]
    [InlineData("1.0.0-alpha", "1.0.0-alpha.1")]
    [InlineData("1.0.0-alpha.1", "1.0.0-alpha.beta")]
    [InlineData("1.0.0-alpha.beta", "1.0.0-beta")]
    [InlineData("1.0.0-beta.11", "1.0.0-rc.1")]
    [InlineData("1.0.0-rc.1", "1.0.0")]
    [InlineData("1.9.0", "1.10.0")]
    public void CompareTo_SemVerPrecedence_FirstSortsBeforeSecond(string lower, string higher)
    {
        var (a, b) = (PluginVersion.Parse(lower), PluginVersion.Parse(higher));

        Assert.True(a < b, $"{lower} should sort before {higher}");
        Assert.True(b > a, $"{higher} should sort after {lower}");
    }

    [Fact]
    public void Parse_BuildMetadata_AcceptedKeptAndIgnoredForOrdering()
    {
        var withBuild = PluginVersion.Parse("1.2.3+build.5");

        Assert.Equal("build.5", withBuild.Metadata);
        Assert.Equal("1.2.3+build.5", withBuild.ToString());
        Assert.Equal(0, withBuild.CompareTo(PluginVersion.Parse("1.2.3")));
        Assert.Equal(0, withBuild.CompareTo(PluginVersion.Parse("1.2.3+other.7")));
        Assert.True(withBuild > PluginVersion.Parse("1.2.3-rc.1+build.9"));
        Assert.Equal("rc.1", PluginVersion.Parse("1.2.3-rc.1+build.9").PreRelease);
        Assert.True(VersionConstraint.Parse(">= 1.2.3, < 2").IsSatisfiedBy(withBuild));
    }

    [Fact]
    public void Parse_ShortForms_MissingNumbersAreZeroAndPartsKept()
    {
        var one = PluginVersion.Parse("1");
        var two = PluginVersion.Parse("1.4-beta.1");

        Assert.Equal((1, 0, 0, 1), (one.Major, one.Minor, one.Patch, one.Parts));
        Assert.Equal((1, 4, 0, 2, "beta.1"), (two.Major, two.Minor, two.Patch, two.Parts, two.PreRelease));
        Assert.Equal("1.4-beta.1", two.ToString());
    }

    [Theory]
    [InlineData("01.2.3")]
    [InlineData("1.02.3")]
    [InlineData("1.2.3-beta.01")]
    [InlineData("1.2.3-")]
    [InlineData("1.2.3+")]
    [InlineData("1.2.3-beta..1")]
    [InlineData("1.2.3-beta_1")]
    [InlineData("1.2.3.4")]
    [InlineData("v1.2.3")]
    [InlineData("1.x")]
    public void TryParse_NotSemVer_Refused(string text)
    {
        Assert.False(PluginVersion.TryParse(text, out _));
        Assert.Throws<FormatException>(() => PluginVersion.Parse(text));
    }
}
