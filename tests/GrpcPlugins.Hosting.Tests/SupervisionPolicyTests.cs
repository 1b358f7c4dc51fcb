using GrpcPlugins.Hosting;
using GrpcPlugins.Hosting.Internal;
using Microsoft.Extensions.Time.Testing;

namespace GrpcPlugins.Hosting.Tests;

public sealed class SupervisionPolicyTests
{
    [Fact]
    public void NextDelay_EachRestartInWindow_DoublesWithinJitter()
    {
        var options = new PluginOptions { RestartDelay = TimeSpan.FromMilliseconds(100), MaxRestarts = 4, MaxRestartDelay = TimeSpan.FromSeconds(30) };
        var history = new RestartHistory(options, new FakeTimeProvider(), new Random(7));

        var delays = Enumerable.Range(0, 4).Select(_ => history.NextDelay()!.Value.TotalMilliseconds).ToList();

        for (var i = 0; i < delays.Count; i++)
        {
            var nominal = 100 * Math.Pow(2, i);
            Assert.InRange(delays[i], nominal * 0.8, nominal * 1.2);
        }
    }

    [Fact]
    public void NextDelay_PastMaxRestartsInWindow_IsNullUntilTheWindowPasses()
    {
        var time = new FakeTimeProvider();
        var options = new PluginOptions { MaxRestarts = 2, RestartWindow = TimeSpan.FromMinutes(1) };
        var history = new RestartHistory(options, time, new Random(1));

        var first = history.NextDelay();
        var second = history.NextDelay();
        var third = history.NextDelay();
        time.Advance(TimeSpan.FromMinutes(1));
        var afterWindow = history.NextDelay();

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(third);
        Assert.NotNull(afterWindow);
        Assert.Equal(1, history.InWindow);
    }

    [Fact]
    public void NextDelay_RemotePluginPastMaxRestarts_KeepsReconnectingWithinMaxRestartDelay()
    {
        var options = new PluginOptions
        {
            MaxRestarts = 2,
            MaxRestartDelay = TimeSpan.FromSeconds(5),
            Remote = new PluginRemoteOptions { Address = "https://scanner:7443" },
        };
        var history = new RestartHistory(options, new FakeTimeProvider(), new Random(5));

        var delays = Enumerable.Range(0, 20).Select(_ => history.NextDelay()).ToList();

        Assert.All(delays, d => Assert.True(d is { } delay && delay <= TimeSpan.FromSeconds(6), $"{d}"));
    }

    [Fact]
    public void NextDelay_LongCrashLoop_IsCappedAtMaxRestartDelay()
    {
        var options = new PluginOptions { RestartDelay = TimeSpan.FromSeconds(1), MaxRestartDelay = TimeSpan.FromSeconds(5), MaxRestarts = 20 };
        var history = new RestartHistory(options, new FakeTimeProvider(), new Random(3));

        var last = Enumerable.Range(0, 10).Select(_ => history.NextDelay()!.Value).ToList()[^1];

        Assert.InRange(last.TotalSeconds, 4, 6);
    }

    [Fact]
    public void NextDelay_RestartOnCrashOff_IsNull()
    {
        var history = new RestartHistory(new PluginOptions { RestartOnCrash = false }, new FakeTimeProvider(), new Random(1));

        Assert.Null(history.NextDelay());
    }

    [Fact]
    public void Clear_AfterGivingUp_AllowsRestartsAgain()
    {
        var history = new RestartHistory(new PluginOptions { MaxRestarts = 1 }, new FakeTimeProvider(), new Random(1));
        history.NextDelay();
        Assert.Null(history.NextDelay());

        history.Clear();

        Assert.NotNull(history.NextDelay());
    }

    [Theory]
    [InlineData("Stats", 2)]
    [InlineData("/grpcplugins.storage.v1.StorageService/Stats", 2)]
    [InlineData("/grpcplugins.storage.v1.StorageService/Store", 7)]
    public void TimeoutOf_ShortOrFullName_FindsTheConfiguredDeadline(string method, int seconds)
    {
        var options = new PluginOptions();
        options.MethodTimeouts["Stats"] = TimeSpan.FromSeconds(2);
        options.MethodTimeouts["/grpcplugins.storage.v1.StorageService/Store"] = TimeSpan.FromSeconds(7);

        Assert.Equal(TimeSpan.FromSeconds(seconds), options.TimeoutOf(method));
    }

    [Fact]
    public void TimeoutOf_MethodNotListed_IsNull()
    {
        Assert.Null(new PluginOptions().TimeoutOf("/grpcplugins.storage.v1.StorageService/List"));
    }

    [Fact]
    public void Validate_BadSupervisionSettings_SaysWhichAndHowToFix()
    {
        var options = new PluginOptions { Name = "files", Type = Plugin.V1.PluginType.Storage, Command = "x", MaxConcurrentCalls = 0, HealthCheckInterval = TimeSpan.Zero };

        var problems = options.Validate().ToList();

        Assert.Contains(problems, p => p.Contains("HealthCheckInterval", StringComparison.Ordinal) && p.Contains("'files'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("MaxConcurrentCalls >= 1", StringComparison.Ordinal));
    }
}
