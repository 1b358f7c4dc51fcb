namespace GrpcPlugins.Hosting.Tests;

public sealed class PluginContextTests
{
    [Fact]
    public void Begin_Nested_InnerInheritsOuterAndDisposeRestores()
    {
        using (PluginContext.Begin(new PluginContext(RequestId: "r1", UserId: "u1")))
        {
            using (PluginContext.Begin(new PluginContext(TransferId: "t1")))
            {
                Assert.Equal(new PluginContext("t1", "u1", "r1"), PluginContext.Current);
            }

            Assert.Equal(new PluginContext(null, "u1", "r1"), PluginContext.Current);
        }

        Assert.Null(PluginContext.Current);
    }

    [Fact]
    public async Task Begin_InOneFlow_DoesNotLeakIntoAnother()
    {
        var seen = new TaskCompletionSource<PluginContext?>();
        using (PluginContext.Begin(new PluginContext(RequestId: "mine")))
        {
            _ = Task.Run(() => seen.SetResult(PluginContext.Current));
        }

        var other = Task.Run(() => PluginContext.Current);

        Assert.Equal("mine", (await seen.Task.WaitAsync(TimeSpan.FromSeconds(10)))?.RequestId);
        Assert.Null(await other.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
