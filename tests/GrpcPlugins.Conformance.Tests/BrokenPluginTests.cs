using GrpcPlugins.Plugin.V1;

namespace GrpcPlugins.Conformance.Tests;

/// <summary>
/// The kit against TestPlugin's conformance-broken mode: a plugin without the SDK that passes every check, and with
/// one flag fails exactly the check for the rule it breaks, with a fix-it line.
/// </summary>
public sealed class BrokenPluginTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task RunAsync_ConformingPlugin_EveryCheckPassesOrSkips()
    {
        var report = await RunAsync();

        Assert.True(report.Succeeded, report.ToText());
        Assert.All(report.Results, r => Assert.NotEqual(CheckOutcome.Failed, r.Outcome));
        foreach (var name in Expected.Select(e => e.Data.Item2).Distinct())
        {
            Assert.Equal(CheckOutcome.Passed, report[name]?.Outcome);
        }
    }

    public static TheoryData<string, string> Expected => new()
    {
        { "no-cookie-check", "handshake.refused-without-cookie" },
        { "bad-handshake", "handshake.line" },
        { "open-socket", "socket.permissions" },
        { "unhealthy", "health.plugin" },
        { "undeclared-service", "metadata.services" },
        { "ignores-init", "lifecycle.refused-before-init" },
        { "no-error-details", "errors.detail" },
        { "ignores-limit", "storage.list-paging" },
        { "commits-cancelled", "storage.cancelled-store" },
        { "commits-cancelled", "context.deadline" },
        { "leaves-socket", "cleanup.socket-removed" },
        { "leaves-socket", "exit.sigterm" },
        { "ignores-stdin", "exit.stdin-closed" },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public async Task RunAsync_PluginBreaksOneRule_ItsCheckFailsWithFixIt(string flag, string check)
    {
        var report = await RunAsync(flag);

        Assert.False(report.Succeeded);
        var result = report[check];
        Assert.NotNull(result);
        Assert.True(result!.Outcome == CheckOutcome.Failed, report.ToText());
        Assert.NotEmpty(result.Message);
        Assert.NotEmpty(result.FixIt);
    }

    [Fact]
    public async Task RunAsync_SdkPluginReportingUnknownType_MetadataFails()
    {
        // TestPlugin's wrong-type mode serves storage through the SDK but reports plugin type 42.
        var report = await ConformanceRunner.RunAsync(Options("wrong-type")).WaitAsync(Timeout);

        var result = report["metadata.valid"];
        Assert.Equal(CheckOutcome.Failed, result?.Outcome);
        Assert.Contains("42", result!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_TestPluginStorage_ListPagingPasses()
    {
        // The SDK test plugin's in-memory storage, which the host's functional tests use: it once ignored List's limit.
        var report = await ConformanceRunner.RunAsync(Options("storage")).WaitAsync(Timeout);

        Assert.True(report.Succeeded, report.ToText());
        Assert.Equal(CheckOutcome.Passed, report["storage.list-paging"]?.Outcome);
    }

    [Fact]
    public async Task RunAsync_WrongTypeExpected_MetadataFails()
    {
        var options = Options("conformance-broken");
        options.Type = PluginType.Auth;

        var report = await ConformanceRunner.RunAsync(options).WaitAsync(Timeout);

        Assert.Equal(CheckOutcome.Failed, report["metadata.valid"]?.Outcome);
    }

    [Fact]
    public async Task ToJUnitXml_FailedCheck_IsAFailureWithItsFix()
    {
        var report = await RunAsync("no-error-details");

        var xml = report.ToJUnitXml();

        var suite = xml.Root!.Element("testsuite")!;
        Assert.Equal(report.Results.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), suite.Attribute("tests")!.Value);
        Assert.Equal("1", suite.Attribute("failures")!.Value);
        var failed = suite.Elements("testcase").Single(c => c.Element("failure") is not null);
        Assert.Equal("errors.detail", failed.Attribute("name")!.Value);
        Assert.StartsWith("fix: ", failed.Element("failure")!.Value, StringComparison.Ordinal);
    }

    private static Task<ConformanceReport> RunAsync(params string[] flags) =>
        ConformanceRunner.RunAsync(Options(["conformance-broken", .. flags])).WaitAsync(Timeout);

    private static ConformanceOptions Options(params string[] arguments)
    {
        var options = new ConformanceOptions { Command = Repo.TestPlugin, StartTimeout = TimeSpan.FromSeconds(20) };
        foreach (var argument in arguments)
        {
            options.Arguments.Add(argument);
        }

        return options;
    }
}
