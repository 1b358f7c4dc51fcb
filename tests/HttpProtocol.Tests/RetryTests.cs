using System.Security.Cryptography;
using Grpc.Core;
using GrpcPlugins;
using GrpcPlugins.Protocol.V1;
using GrpcPlugins.Testing;

namespace HttpProtocol.Tests;

/// <summary>
/// HttpProtocol's retries (Polly, through its settings <c>max_retries</c> and <c>retry_delay_ms</c>) against a real
/// Kestrel receiver, and its settings bound and validated at Init. The plugin's services run in-process through real
/// gRPC (<see cref="PluginTestServer"/>), configured as its Program.cs configures them.
/// </summary>
public sealed class RetryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Send_ReceiverAnswers503Twice_RetriesAndCompletesWithTheSameBytes()
    {
        await using var receiver = await FlakyReceiver.StartAsync(size: 300_000, failures: 2);
        await using var plugin = await StartAsync(new() { ["max_retries"] = "3", ["retry_delay_ms"] = "10", ["chunk_size"] = "65536" });

        var done = await SendAsync(plugin, receiver);

        Assert.Equal(TransferStatus.Completed, done.Status);
        Assert.Equal(3, receiver.UploadRequests);
        Assert.Equal(300_000, done.BytesTransferred);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(receiver.File)), receiver.CompletedSha256);
    }

    [Fact]
    public async Task Send_ReceiverAlwaysAnswers503_FailsNamingTheAttempts()
    {
        await using var receiver = await FlakyReceiver.StartAsync(size: 1000, failures: -1);
        await using var plugin = await StartAsync(new() { ["max_retries"] = "2", ["retry_delay_ms"] = "10" });

        var done = await SendAsync(plugin, receiver);

        Assert.Equal(TransferStatus.Failed, done.Status);
        Assert.Equal(3, receiver.UploadRequests);
        Assert.Contains("refused to open an upload: 503 Receiver busy (answer 3)", done.Error, StringComparison.Ordinal);
        Assert.Contains("gave up after 3 failed attempts in a row, max_retries 2", done.Error, StringComparison.Ordinal);
        Assert.Null(receiver.CompletedSha256);
    }

    [Fact]
    public async Task Init_RetriesOutOfRange_InvalidArgumentNamesKeyValueAndRange()
    {
        await using var plugin = await PluginTestServer.StartAsync(HttpProtocolPlugin.Configure, new PluginTestServerOptions { Initialize = false }).WaitAsync(Timeout);

        var rpc = await Assert.ThrowsAsync<RpcException>(() => plugin.InitAsync(new Dictionary<string, string> { ["max_retries"] = "1000" }).WaitAsync(Timeout));
        var error = PluginErrors.FromRpcException(rpc);

        Assert.Equal(PluginErrorCode.InvalidArgument, error.Code);
        Assert.Contains("The 'max_retries' setting is '1000', which is not valid: The field max_retries must be between 0 and 100.", error.Message, StringComparison.Ordinal);
    }

    private static Task<PluginTestServer> StartAsync(Dictionary<string, string> config)
    {
        var options = new PluginTestServerOptions();
        foreach (var (key, value) in config)
        {
            options.Config[key] = value;
        }

        return PluginTestServer.StartAsync(HttpProtocolPlugin.Configure, options).WaitAsync(Timeout);
    }

    // Starts a send and follows it to its end through WatchTransfer, as the host follows it.
    private static async Task<Transfer> SendAsync(PluginTestServer plugin, FlakyReceiver receiver)
    {
        var client = plugin.CreateClient<ProtocolService.ProtocolServiceClient>();
        var request = new SendRequest { File = receiver.FileUrl, Destination = receiver.BaseUrl, Options = new TransferOptions() };
        request.Options.Properties["size"] = receiver.File.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var started = await client.SendAsync(request).ResponseAsync.WaitAsync(Timeout);

        using var deadline = new CancellationTokenSource(Timeout);
        using var watch = client.WatchTransfer(new WatchTransferRequest { Id = started.Transfer.Id }, cancellationToken: deadline.Token);
        Transfer? last = null;
        while (await watch.ResponseStream.MoveNext(deadline.Token))
        {
            last = watch.ResponseStream.Current.Transfer;
        }

        return last ?? throw new InvalidOperationException("WatchTransfer ended without a state.");
    }
}
