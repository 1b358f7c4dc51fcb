using System.Diagnostics;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using GrpcPlugins.Sdk;
using GrpcPlugins.Test.Echo.V1;

namespace GrpcPlugins.TestPlugin;

/// <summary>
/// Serves the test-only EchoService (Protos/echo.proto), an application-defined contract: every call shape, and on
/// request a typed failure, a call that waits until cancelled (counted), or a crash in the middle of the call.
/// </summary>
public sealed class EchoServer : EchoService.EchoServiceBase, IPluginLifecycle
{
    private static int s_cancelled;
    private static int s_waiting;
    private string _version = string.Empty;

    public Task InitAsync(IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        _version = config.TryGetValue("version", out var version) ? version : string.Empty;
        return Task.CompletedTask;
    }

    public Task ShutdownAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override async Task<EchoResponse> Echo(EchoRequest request, ServerCallContext context)
    {
        await BehaveAsync(request.Behaviour, request.Text, context);
        var call = context.GetPluginContext();
        return new EchoResponse
        {
            Text = request.Text,
            TransferId = call.TransferId ?? string.Empty,
            UserId = call.UserId ?? string.Empty,
            RequestId = call.RequestId ?? string.Empty,
            Traceparent = context.RequestHeaders.GetValue("traceparent") ?? string.Empty,
            ProcessId = Environment.ProcessId,
            Version = _version,
        };
    }

    public override async Task<CollectResponse> Collect(IAsyncStreamReader<CollectRequest> requestStream, ServerCallContext context)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long count = 0;
        long size = 0;
        await foreach (var chunk in requestStream.ReadAllAsync(context.CancellationToken))
        {
            await BehaveAsync(chunk.Behaviour, $"chunk {count}", context);
            hash.AppendData(chunk.Data.Span);
            count++;
            size += chunk.Data.Length;
        }

        return new CollectResponse { Count = count, Size = size, Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset()) };
    }

    public override async Task Expand(ExpandRequest request, IServerStreamWriter<ExpandResponse> responseStream, ServerCallContext context)
    {
        for (var i = 0; i < request.Count; i++)
        {
            if (i == request.BehaveAfter)
            {
                await BehaveAsync(request.Behaviour, $"message {i}", context);
            }

            var data = new byte[request.Size];
            Array.Fill(data, (byte)(i % 256));
            await responseStream.WriteAsync(new ExpandResponse { Index = i, Data = ByteString.CopyFrom(data) }, context.CancellationToken);
        }
    }

    public override async Task Chat(IAsyncStreamReader<ChatRequest> requestStream, IServerStreamWriter<ChatResponse> responseStream, ServerCallContext context)
    {
        await foreach (var message in requestStream.ReadAllAsync(context.CancellationToken))
        {
            await BehaveAsync(message.Behaviour, message.Text, context);
            await responseStream.WriteAsync(new ChatResponse { Text = message.Text }, context.CancellationToken);
        }
    }

    public override Task<GetCancelledResponse> GetCancelled(GetCancelledRequest request, ServerCallContext context) =>
        Task.FromResult(new GetCancelledResponse { Count = Volatile.Read(ref s_cancelled), Waiting = Volatile.Read(ref s_waiting) });

    private static async Task BehaveAsync(Behaviour behaviour, string text, ServerCallContext context)
    {
        switch (behaviour)
        {
            case Behaviour.Fail:
                throw new PluginException(PluginErrorCode.NotFound, $"No echo for '{text}'.")
                {
                    Metadata = new Dictionary<string, string> { ["text"] = text },
                };
            case Behaviour.Slow:
                Interlocked.Increment(ref s_waiting);
                try
                {
                    await Task.Delay(TimeSpan.FromMinutes(5), context.CancellationToken);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref s_cancelled);
                    throw;
                }
                finally
                {
                    Interlocked.Decrement(ref s_waiting);
                }

                break;
            case Behaviour.Crash:
                await Console.Error.WriteLineAsync($"crashing on purpose in the middle of {context.Method}");
                Process.GetCurrentProcess().Kill();
                break;
        }
    }
}
