using System.Diagnostics;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Storage.V1;
using GrpcPlugins.Test.Echo.V1;
using Microsoft.Extensions.DependencyInjection;

namespace GrpcPlugins.FunctionalTests;

/// <summary>
/// An application-defined gRPC contract (the test plugin's EchoService) served by a real plugin process and called
/// through <see cref="PluginClient.CreateClient{TClient}"/>, with every guarantee the built-in plugin types get.
/// </summary>
public sealed class CustomContractTests
{
    private const string EchoServiceName = "grpcplugins.test.echo.v1.EchoService";

    [Fact]
    public async Task CreateClient_AllFourCallShapes_RoundTrip()
    {
        await using var plugin = await TestPlugins.StartAsync(Echo());
        var client = plugin.CreateClient<EchoService.EchoServiceClient>();
        var chunks = Enumerable.Range(0, 20).Select(i => RandomNumberGenerator.GetBytes(10_000 + i)).ToList();

        var echo = await client.EchoAsync(new EchoRequest { Text = "hello" }).ResponseAsync.WaitAsync(TestPlugins.Timeout);

        CollectResponse collected;
        using (var collect = client.Collect())
        {
            foreach (var chunk in chunks)
            {
                await collect.RequestStream.WriteAsync(new CollectRequest { Data = ByteString.CopyFrom(chunk) }).WaitAsync(TestPlugins.Timeout);
            }

            await collect.RequestStream.CompleteAsync().WaitAsync(TestPlugins.Timeout);
            collected = await collect.ResponseAsync.WaitAsync(TestPlugins.Timeout);
        }

        var expanded = new List<ExpandResponse>();
        using (var expand = client.Expand(new ExpandRequest { Count = 50, Size = 1000 }))
        {
            while (await expand.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestPlugins.Timeout))
            {
                expanded.Add(expand.ResponseStream.Current);
            }
        }

        var chatted = new List<string>();
        using (var chat = client.Chat())
        {
            for (var i = 0; i < 10; i++)
            {
                await chat.RequestStream.WriteAsync(new ChatRequest { Text = $"line {i}" }).WaitAsync(TestPlugins.Timeout);
                Assert.True(await chat.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestPlugins.Timeout));
                chatted.Add(chat.ResponseStream.Current.Text);
            }

            await chat.RequestStream.CompleteAsync().WaitAsync(TestPlugins.Timeout);
            Assert.False(await chat.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestPlugins.Timeout));
        }

        Assert.Equal("hello", echo.Text);
        Assert.Equal(plugin.ProcessId, echo.ProcessId);
        Assert.Equal(chunks.Count, collected.Count);
        Assert.Equal(chunks.Sum(c => c.Length), collected.Size);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(chunks.SelectMany(c => c).ToArray())), collected.Sha256);
        Assert.Equal(Enumerable.Range(0, 50), expanded.Select(m => m.Index));
        Assert.All(expanded, m => Assert.True(m.Data.Length == 1000 && m.Data.All(b => b == (byte)m.Index)));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"line {i}"), chatted);
        Assert.Equal(PluginType.Custom, plugin.Type);
        Assert.Equal(PluginType.Custom, plugin.Metadata.Type);
        Assert.Equal([EchoServiceName], plugin.Metadata.Services);
    }

    [Fact]
    public async Task Echo_PluginFailsWithTypedError_ThrowsPluginExceptionWithItsCodeAndMetadata()
    {
        await using var plugin = await TestPlugins.StartAsync(Echo());
        var client = plugin.CreateClient<EchoService.EchoServiceClient>();

        var unary = await Assert.ThrowsAsync<PluginException>(() =>
            client.EchoAsync(new EchoRequest { Text = "lost", Behaviour = Behaviour.Fail }).ResponseAsync.WaitAsync(TestPlugins.Timeout));
        using var expand = client.Expand(new ExpandRequest { Count = 5, Size = 10, Behaviour = Behaviour.Fail, BehaveAfter = 2 });
        Assert.True(await expand.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestPlugins.Timeout));
        Assert.True(await expand.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestPlugins.Timeout));
        var streamed = await Assert.ThrowsAsync<PluginException>(() => expand.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestPlugins.Timeout));

        Assert.Equal(PluginErrorCode.NotFound, unary.Code);
        Assert.Equal("No echo for 'lost'.", unary.Message);
        Assert.Equal("lost", unary.Metadata["text"]);
        Assert.Equal(PluginErrorSource.Plugin, unary.ErrorSource);
        Assert.Equal(plugin.Name, unary.PluginName);
        Assert.Equal(PluginErrorCode.NotFound, streamed.Code);
        Assert.Equal("message 2", streamed.Metadata["text"]);
    }

    [Fact]
    public async Task Collect_WriteAfterThePluginFailedTheCall_ThrowsThePluginsTypedError()
    {
        await using var plugin = await TestPlugins.StartAsync(Echo());
        var client = plugin.CreateClient<EchoService.EchoServiceClient>();

        using var collect = client.Collect();
        await collect.RequestStream.WriteAsync(new CollectRequest { Data = ByteString.CopyFromUtf8("first"), Behaviour = Behaviour.Fail }).WaitAsync(TestPlugins.Timeout);
        var response = await Assert.ThrowsAsync<PluginException>(() => collect.ResponseAsync.WaitAsync(TestPlugins.Timeout));
        var write = await Assert.ThrowsAsync<PluginException>(() =>
            collect.RequestStream.WriteAsync(new CollectRequest { Data = ByteString.CopyFromUtf8("late") }).WaitAsync(TestPlugins.Timeout));

        Assert.Equal(PluginErrorCode.NotFound, response.Code);
        Assert.Equal("chunk 0", response.Metadata["text"]);
        Assert.Equal(PluginErrorCode.NotFound, write.Code);
        Assert.Equal("chunk 0", write.Metadata["text"]);
    }

    [Fact]
    public async Task ReplaceAsync_ChatOpenOnTheOldInstance_FinishesThereWhileNewCallsGoToTheNewOne()
    {
        using var app = await TestPlugins.StartHostAsync();
        var registry = app.Services.GetRequiredService<IPluginRegistry>();
        var old = await registry.StartAsync(Echo(version: "1")).WaitAsync(TestPlugins.Timeout);
        var oldPid = old.ProcessId;
        var client = old.CreateClient<EchoService.EchoServiceClient>();

        var chat = client.Chat();
        await chat.RequestStream.WriteAsync(new ChatRequest { Text = "before" }).WaitAsync(TestPlugins.Timeout);
        Assert.True(await chat.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestPlugins.Timeout));
        var replacing = registry.ReplaceAsync(Echo(version: "2"));
        await WaitUntilAsync(() => Task.FromResult(registry.Get("echo") != old));
        var newCall = await client.EchoAsync(new EchoRequest()).ResponseAsync.WaitAsync(TestPlugins.Timeout);
        await chat.RequestStream.WriteAsync(new ChatRequest { Text = "during" }).WaitAsync(TestPlugins.Timeout);
        Assert.True(await chat.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestPlugins.Timeout));
        var during = chat.ResponseStream.Current.Text;
        var stillDraining = !replacing.IsCompleted && PluginTypesTests.ProcessIsAlive(oldPid);
        await chat.RequestStream.CompleteAsync().WaitAsync(TestPlugins.Timeout);
        Assert.False(await chat.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestPlugins.Timeout));
        var replacement = await replacing.WaitAsync(TestPlugins.Timeout);
        chat.Dispose();
        await app.StopAsync().WaitAsync(TestPlugins.Timeout);

        Assert.Equal("2", newCall.Version);
        Assert.Equal(replacement.ProcessId, newCall.ProcessId);
        Assert.Equal("during", during);
        Assert.True(stillDraining);
        Assert.Equal(PluginState.Stopped, old.State);
        Assert.False(PluginTypesTests.ProcessIsAlive(oldPid));
    }

    [Fact]
    public async Task Echo_PastItsMethodTimeout_ThrowsTimeout()
    {
        var options = Echo();
        options.MethodTimeouts["Echo"] = TimeSpan.FromSeconds(1);
        options.MethodTimeouts["/grpcplugins.test.echo.v1.EchoService/Expand"] = TimeSpan.FromSeconds(1);
        await using var plugin = await TestPlugins.StartAsync(options);
        var client = plugin.CreateClient<EchoService.EchoServiceClient>();

        var unary = await Assert.ThrowsAsync<PluginException>(() =>
            client.EchoAsync(new EchoRequest { Behaviour = Behaviour.Slow }).ResponseAsync.WaitAsync(TestPlugins.Timeout));
        using var expand = client.Expand(new ExpandRequest { Count = 5, Behaviour = Behaviour.Slow });
        var streamed = await Assert.ThrowsAsync<PluginException>(() => expand.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestPlugins.Timeout));

        Assert.Equal(PluginErrorCode.Timeout, unary.Code);
        Assert.Equal(PluginErrorCode.Timeout, streamed.Code);
    }

    [Fact]
    public async Task Echo_CancelledByCaller_ThrowsCancelledAndThePluginSeesIt()
    {
        await using var plugin = await TestPlugins.StartAsync(Echo());
        var client = plugin.CreateClient<EchoService.EchoServiceClient>();

        using var unaryCancel = new CancellationTokenSource();
        var slow = client.EchoAsync(new EchoRequest { Behaviour = Behaviour.Slow }, cancellationToken: unaryCancel.Token).ResponseAsync;
        await WaitUntilAsync(async () => (await client.GetCancelledAsync(new GetCancelledRequest())).Waiting == 1);
        await unaryCancel.CancelAsync();
        var unary = await Assert.ThrowsAsync<PluginException>(() => slow.WaitAsync(TestPlugins.Timeout));
        await WaitUntilAsync(async () => (await client.GetCancelledAsync(new GetCancelledRequest())).Count >= 1);

        using var chatCancel = new CancellationTokenSource();
        using var chat = client.Chat(cancellationToken: chatCancel.Token);
        await chat.RequestStream.WriteAsync(new ChatRequest { Text = "wait", Behaviour = Behaviour.Slow }).WaitAsync(TestPlugins.Timeout);
        var reading = chat.ResponseStream.MoveNext(CancellationToken.None);
        await WaitUntilAsync(async () => (await client.GetCancelledAsync(new GetCancelledRequest())).Waiting == 1);
        await chatCancel.CancelAsync();
        var streamed = await Assert.ThrowsAsync<PluginException>(() => reading.WaitAsync(TestPlugins.Timeout));
        await WaitUntilAsync(async () => (await client.GetCancelledAsync(new GetCancelledRequest())).Count >= 2);

        Assert.Equal(PluginErrorCode.Cancelled, unary.Code);
        Assert.Equal(PluginErrorCode.Cancelled, streamed.Code);
    }

    [Fact]
    public async Task Echo_PluginCrashesMidCall_ThrowsUnavailableNamingTheExitAndThePluginIsRestarted()
    {
        await using var plugin = await TestPlugins.StartAsync(Echo());
        var client = plugin.CreateClient<EchoService.EchoServiceClient>();
        var firstPid = plugin.ProcessId;

        var error = await Assert.ThrowsAsync<PluginException>(() =>
            client.EchoAsync(new EchoRequest { Behaviour = Behaviour.Crash }).ResponseAsync.WaitAsync(TestPlugins.Timeout));
        await WaitUntilAsync(() => Task.FromResult(plugin.State == PluginState.Running && plugin.ProcessId != firstPid));
        var after = await client.EchoAsync(new EchoRequest { Text = "back" }).ResponseAsync.WaitAsync(TestPlugins.Timeout);

        Assert.Equal(PluginErrorCode.Unavailable, error.Code);
        Assert.Contains("exited with code", error.Message);
        Assert.Contains("during the call", error.Message);
        Assert.Equal("back", after.Text);
        Assert.Equal(plugin.ProcessId, after.ProcessId);
        Assert.Equal(1, plugin.RestartCount);
    }

    [Fact]
    public async Task Expand_PluginCrashesMidStream_ThrowsUnavailableNamingTheExitAndThePluginIsRestarted()
    {
        await using var plugin = await TestPlugins.StartAsync(Echo());
        var client = plugin.CreateClient<EchoService.EchoServiceClient>();
        var firstPid = plugin.ProcessId;

        // The plugin dies after writing 3 messages; those it wrote but had not flushed die with it.
        using var expand = client.Expand(new ExpandRequest { Count = 10, Size = 100, Behaviour = Behaviour.Crash, BehaveAfter = 3 });
        var received = 0;
        var error = await Assert.ThrowsAsync<PluginException>(async () =>
        {
            while (await expand.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestPlugins.Timeout))
            {
                received++;
            }
        });
        await WaitUntilAsync(() => Task.FromResult(plugin.State == PluginState.Running && plugin.ProcessId != firstPid));
        using var duplex = client.Chat();
        await duplex.RequestStream.WriteAsync(new ChatRequest { Text = "crash now", Behaviour = Behaviour.Crash }).WaitAsync(TestPlugins.Timeout);
        var duplexError = await Assert.ThrowsAsync<PluginException>(() => duplex.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestPlugins.Timeout));

        Assert.InRange(received, 0, 3);
        Assert.Equal(PluginErrorCode.Unavailable, error.Code);
        Assert.Contains("exited with code", error.Message);
        Assert.Equal(PluginErrorCode.Unavailable, duplexError.Code);
        Assert.Contains("exited with code", duplexError.Message);
        Assert.True(plugin.RestartCount >= 1);
    }

    [Fact]
    public async Task Echo_IdempotentWhilePluginRestarts_WaitsForTheRestartAndSucceeds()
    {
        var options = Echo();
        options.IdempotentMethods.Add("Echo");
        options.RestartDelay = TimeSpan.FromSeconds(5); // A window wide enough to call into while it is down, even under load.
        options.MaxRestartDelay = TimeSpan.FromSeconds(5);
        await using var plugin = await TestPlugins.StartAsync(options);
        var client = plugin.CreateClient<EchoService.EchoServiceClient>();
        var firstPid = plugin.ProcessId;

        await TestPlugins.KillAsync(plugin);
        await WaitUntilAsync(() => Task.FromResult(plugin.State == PluginState.Starting));
        var notIdempotent = await Assert.ThrowsAsync<PluginException>(() =>
            client.GetCancelledAsync(new GetCancelledRequest()).ResponseAsync.WaitAsync(TestPlugins.Timeout));
        var echo = await client.EchoAsync(new EchoRequest { Text = "waited" }).ResponseAsync.WaitAsync(TestPlugins.Timeout);

        Assert.Equal(PluginErrorCode.Unavailable, notIdempotent.Code);
        Assert.Contains("is restarting", notIdempotent.Message);
        Assert.Equal("waited", echo.Text);
        Assert.NotEqual(firstPid, echo.ProcessId);
        Assert.Equal(plugin.ProcessId, echo.ProcessId);
    }

    [Fact]
    public async Task ReplaceAsync_UnderLoadOfCustomCallsAndStreams_NoCallFailsAndLaterCallsReachTheNewInstance()
    {
        using var app = await TestPlugins.StartHostAsync();
        var registry = app.Services.GetRequiredService<IPluginRegistry>();
        var old = await registry.StartAsync(Echo(version: "1")).WaitAsync(TestPlugins.Timeout);

        using var stop = new CancellationTokenSource();
        var failures = new List<Exception>();
        var answers = new List<(bool AfterSwitch, string Version)>();
        var switched = 0;
        async Task CallerAsync(int caller)
        {
            while (!stop.IsCancellationRequested)
            {
                var afterSwitch = Volatile.Read(ref switched) == 1;
                try
                {
                    // Half hold on to the client of the old instance; the rest look the plugin up for each call.
                    var client = (caller % 2 == 1 ? old : registry.Get("echo")).CreateClient<EchoService.EchoServiceClient>();
                    var version = (caller % 3) switch
                    {
                        0 => (await client.EchoAsync(new EchoRequest { Text = "x" }).ResponseAsync.WaitAsync(TestPlugins.Timeout)).Version,
                        1 => await ExpandAllAsync(client),
                        _ => await ChatAsync(client),
                    };
                    lock (answers)
                    {
                        answers.Add((afterSwitch, version));
                    }
                }
                catch (Exception ex)
                {
                    lock (failures)
                    {
                        failures.Add(ex);
                    }
                }
            }
        }

        var callers = Enumerable.Range(0, 6).Select(i => Task.Run(() => CallerAsync(i))).ToList();
        await WaitUntilAsync(() => Task.FromResult(Count(answers, afterSwitch: false) >= 30));
        var replacement = await registry.ReplaceAsync(Echo(version: "2")).WaitAsync(TestPlugins.Timeout);
        Volatile.Write(ref switched, 1);
        await WaitUntilAsync(() => Task.FromResult(Count(answers, afterSwitch: true) >= 30));
        await stop.CancelAsync();
        await Task.WhenAll(callers).WaitAsync(TestPlugins.Timeout);
        await app.StopAsync().WaitAsync(TestPlugins.Timeout);

        Assert.Empty(failures);
        Assert.Contains(answers, a => !a.AfterSwitch && a.Version == "1");
        Assert.All(answers.Where(a => a.AfterSwitch), a => Assert.Equal("2", a.Version));
        Assert.Equal(PluginState.Stopped, old.State);
        Assert.NotEqual(old.ProcessId, replacement.ProcessId);
        Assert.False(PluginTypesTests.ProcessIsAlive(old.ProcessId));
    }

    [Fact]
    public async Task Echo_BulkheadFullWithAnOpenStream_ThrowsResourceExhaustedUntilTheStreamEnds()
    {
        var options = Echo();
        options.MaxConcurrentCalls = 1;
        options.MaxQueuedCalls = 0;
        await using var plugin = await TestPlugins.StartAsync(options);
        var client = plugin.CreateClient<EchoService.EchoServiceClient>();

        var chat = client.Chat();
        await chat.RequestStream.WriteAsync(new ChatRequest { Text = "open" }).WaitAsync(TestPlugins.Timeout);
        Assert.True(await chat.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestPlugins.Timeout));
        var refused = await Assert.ThrowsAsync<PluginException>(() => client.EchoAsync(new EchoRequest()).ResponseAsync.WaitAsync(TestPlugins.Timeout));
        chat.Dispose();
        var echo = await client.EchoAsync(new EchoRequest { Text = "after" }).ResponseAsync.WaitAsync(TestPlugins.Timeout);

        Assert.Equal(PluginErrorCode.ResourceExhausted, refused.Code);
        Assert.Contains("MaxConcurrentCalls", refused.Message);
        Assert.Equal("after", echo.Text);
    }

    [Fact]
    public async Task StartAsync_ServiceThePluginDoesNotServe_FailsNamingTheService()
    {
        var options = Echo();
        options.Services.Add("grpcplugins.test.echo.v1.MissingService");

        var error = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(options));

        Assert.Equal(PluginErrorCode.FailedPrecondition, error.Code);
        Assert.Contains("does not serve grpcplugins.test.echo.v1.MissingService", error.Message);
        Assert.Contains($"it serves {EchoServiceName}", error.Message);
    }

    [Fact]
    public async Task StartAsync_PluginListingNoServices_BuiltInTypeIsTakenAtItsWordAndCustomIsRefused()
    {
        await using var storage = await TestPlugins.StartAsync(TestPlugins.TestPlugin("legacy-storage", PluginType.Storage));
        var echo = Echo();
        echo.Args = ["legacy-echo"];

        var stats = await storage.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout);
        var error = await Assert.ThrowsAsync<PluginException>(() => TestPlugins.StartAsync(echo));

        Assert.Empty(storage.Metadata.Services);
        Assert.Equal(0L, stats.TotalItems);
        Assert.Equal(PluginErrorCode.FailedPrecondition, error.Code);
        Assert.Contains($"must serve {EchoServiceName}, but its metadata lists no services", error.Message);
    }

    [Fact]
    public async Task Echo_BeforeInit_RefusedWithFailedPrecondition()
    {
        // The plugin launched as a host would, but never sent Init.
        var options = Echo();
        await using var process = await Hosting.Internal.PluginProcess.StartAsync(
            Hosting.Internal.PluginStartInfo.Create(options, new GrpcPluginsOptions()), options.Name, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).WaitAsync(TestPlugins.Timeout);
        var handshake = await process.ReadHandshakeAsync(TestPlugins.Timeout, CancellationToken.None).WaitAsync(TestPlugins.Timeout);
        using var channel = Hosting.Internal.PluginChannel.Create(handshake, options);
        var client = new EchoService.EchoServiceClient(channel);

        var metadata = await new PluginService.PluginServiceClient(channel).GetMetadataAsync(new GetMetadataRequest()).ResponseAsync.WaitAsync(TestPlugins.Timeout);
        var refused = await Assert.ThrowsAsync<RpcException>(() => client.EchoAsync(new EchoRequest { Text = "early" }).ResponseAsync.WaitAsync(TestPlugins.Timeout));
        using var chat = client.Chat();
        var refusedStream = await Assert.ThrowsAsync<RpcException>(() => chat.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestPlugins.Timeout));

        Assert.Equal([EchoServiceName], metadata.Metadata.Services);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("The plugin is not initialized", refused.Status.Detail);
        Assert.Equal(PluginErrorCode.FailedPrecondition, PluginErrors.FromRpcException(refused, options.Name).Code);
        Assert.Equal(StatusCode.FailedPrecondition, refusedStream.StatusCode);
    }

    [Fact]
    public async Task Echo_InPluginContextAndActivity_ThePluginSeesBoth()
    {
        await using var plugin = await TestPlugins.StartAsync(Echo());
        var client = plugin.CreateClient<EchoService.EchoServiceClient>();
        using var activity = new Activity("scan").SetIdFormat(ActivityIdFormat.W3C).Start();

        EchoResponse echo;
        using (PluginContext.Begin(new PluginContext(TransferId: "t-1", UserId: "u-2", RequestId: "r-3")))
        {
            echo = await client.EchoAsync(new EchoRequest()).ResponseAsync.WaitAsync(TestPlugins.Timeout);
        }

        Assert.Equal("t-1", echo.TransferId);
        Assert.Equal("u-2", echo.UserId);
        Assert.Equal("r-3", echo.RequestId);
        Assert.StartsWith($"00-{activity.TraceId}-", echo.Traceparent);
    }

    [Fact]
    public async Task StartAsync_BuiltInTypeWithACustomService_MetadataListsBothAndBothClientsWork()
    {
        var options = TestPlugins.TestPlugin("storage-echo", PluginType.Storage);
        options.Services.Add(EchoServiceName);
        await using var plugin = await TestPlugins.StartAsync(options);
        await using var storageOnly = await TestPlugins.StartAsync(TestPlugins.TestPlugin("storage", PluginType.Storage));

        var stats = await plugin.Storage.StatsAsync().WaitAsync(TestPlugins.Timeout);
        var echo = await plugin.CreateClient<EchoService.EchoServiceClient>().EchoAsync(new EchoRequest { Text = "both" }).ResponseAsync.WaitAsync(TestPlugins.Timeout);

        Assert.Equal(PluginType.Storage, plugin.Metadata.Type);
        Assert.Equal([StorageService.Descriptor.FullName, EchoServiceName], plugin.Metadata.Services);
        Assert.Equal(["grpcplugins.storage.v1.StorageService"], storageOnly.Metadata.Services);
        Assert.Equal(0L, stats.TotalItems);
        Assert.Equal("both", echo.Text);
    }

    [Fact]
    public async Task Serving_PluginsConfiguredByServices_ListsThoseServingTheServiceInPriorityOrder()
    {
        var dll = TestPlugins.Dll("tests", "GrpcPlugins.TestPlugin");
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        Microsoft.Extensions.Configuration.MemoryConfigurationBuilderExtensions.AddInMemoryCollection(builder.Configuration, new Dictionary<string, string?>
        {
            ["Plugins:scanner:Services:0"] = EchoServiceName,
            ["Plugins:scanner:Command"] = dll,
            ["Plugins:scanner:Args:0"] = "echo",
            ["Plugins:scanner:Priority"] = "20",
            ["Plugins:files:Type"] = "Storage",
            ["Plugins:files:Services:0"] = EchoServiceName,
            ["Plugins:files:Command"] = dll,
            ["Plugins:files:Args:0"] = "storage-echo",
            ["Plugins:files:Priority"] = "10",
            ["Plugins:plain:Type"] = "Storage",
            ["Plugins:plain:Command"] = dll,
            ["Plugins:plain:Args:0"] = "storage",
        });
        builder.Services.AddGrpcPlugins(builder.Configuration);
        using var app = builder.Build();
        await app.StartAsync().WaitAsync(TestPlugins.Timeout);
        var registry = app.Services.GetRequiredService<IPluginRegistry>();

        var serving = registry.Serving(EchoServiceName).Select(p => p.Name).ToList();
        var storage = registry.Serving("grpcplugins.storage.v1.StorageService").Select(p => p.Name).ToList();
        var scanner = registry.Get("scanner");
        var echo = await scanner.CreateClient<EchoService.EchoServiceClient>().EchoAsync(new EchoRequest { Text = "configured" }).ResponseAsync.WaitAsync(TestPlugins.Timeout);
        await app.StopAsync().WaitAsync(TestPlugins.Timeout);

        Assert.Equal(["files", "scanner"], serving);
        Assert.Equal(["files", "plain"], storage);
        Assert.Equal(PluginType.Custom, scanner.Type);
        Assert.Equal("configured", echo.Text);
    }

    private static PluginOptions Echo(string? version = null)
    {
        var options = TestPlugins.TestPlugin("echo", PluginType.Unspecified, "echo");
        options.Services.Add(EchoServiceName);
        if (version is not null)
        {
            options.Config["version"] = version;
        }

        return options;
    }

    private static async Task<string> ExpandAllAsync(EchoService.EchoServiceClient client)
    {
        using var expand = client.Expand(new ExpandRequest { Count = 20, Size = 100 });
        var count = 0;
        while (await expand.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestPlugins.Timeout))
        {
            count++;
        }

        Assert.Equal(20, count);
        return (await client.EchoAsync(new EchoRequest()).ResponseAsync.WaitAsync(TestPlugins.Timeout)).Version;
    }

    private static async Task<string> ChatAsync(EchoService.EchoServiceClient client)
    {
        using var chat = client.Chat();
        for (var i = 0; i < 5; i++)
        {
            await chat.RequestStream.WriteAsync(new ChatRequest { Text = $"{i}" }).WaitAsync(TestPlugins.Timeout);
            Assert.True(await chat.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestPlugins.Timeout));
            Assert.Equal($"{i}", chat.ResponseStream.Current.Text);
        }

        await chat.RequestStream.CompleteAsync().WaitAsync(TestPlugins.Timeout);
        Assert.False(await chat.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestPlugins.Timeout));
        return (await client.EchoAsync(new EchoRequest()).ResponseAsync.WaitAsync(TestPlugins.Timeout)).Version;
    }

    private static int Count(List<(bool AfterSwitch, string Version)> answers, bool afterSwitch)
    {
        lock (answers)
        {
            return answers.Count(a => a.AfterSwitch == afterSwitch);
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(TestPlugins.Timeout);
        while (!await condition().WaitAsync(timeout.Token))
        {
            await Task.Delay(20, timeout.Token);
        }
    }
}
