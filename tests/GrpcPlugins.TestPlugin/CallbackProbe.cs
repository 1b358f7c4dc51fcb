using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using GrpcPlugins.Sdk;
using GrpcPlugins.Test.Probe.V1;

namespace GrpcPlugins.TestPlugin;

/// <summary>Makes one host callback per Probe call and reports what the host answered (Protos/callback_probe.proto).</summary>
public sealed class CallbackProbe(IHostCallbacks host) : CallbackProbeService.CallbackProbeServiceBase
{
    public override async Task<ProbeResponse> Probe(ProbeRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        try
        {
            switch (request.Action)
            {
                case "get":
                    var value = await host.KeyValue.GetAsync(request.Key, ct);
                    return new ProbeResponse { Found = value is not null, Value = ByteString.CopyFrom(value ?? []) };
                case "put":
                    await host.KeyValue.PutAsync(request.Key, request.Value.Memory, ct);
                    return new ProbeResponse();
                case "delete":
                    return new ProbeResponse { Found = await host.KeyValue.DeleteAsync(request.Key, ct) };
                case "list":
                    var entries = await host.KeyValue.ListAsync(request.Key, ct);
                    return new ProbeResponse { Value = ByteString.CopyFromUtf8(string.Join(',', entries.Select(e => e.Key))) };
                case "read":
                    using (var file = await host.Files.OpenAsync(request.Key, cancellationToken: ct))
                    {
                        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                        var buffer = new byte[81920];
                        long size = 0;
                        int read;
                        while ((read = await file.Content.ReadAsync(buffer, ct)) > 0)
                        {
                            hash.AppendData(buffer, 0, read);
                            size += read;
                        }

                        return new ProbeResponse { Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset()), Size = size, Name = file.Metadata.Name };
                    }

                case "log":
                    await host.Log.WriteAsync(HostCallbacks.V1.LogLevel.Warning, Encoding.UTF8.GetString(request.Value.Span), new Dictionary<string, string> { ["key"] = request.Key }, ct);
                    return new ProbeResponse();
                case "event":
                    return new ProbeResponse { Found = await host.Log.PublishEventAsync(request.Key, cancellationToken: ct) };
                case "env":
                    // What the host announced to this launch, so tests can check how the callbacks are reached.
                    return new ProbeResponse { Value = ByteString.CopyFromUtf8(Environment.GetEnvironmentVariable(request.Key) ?? string.Empty) };
                default:
                    throw new PluginException(PluginErrorCode.InvalidArgument, $"Unknown probe action '{request.Action}'.");
            }
        }
        catch (PluginException ex)
        {
            return new ProbeResponse { Code = ex.Code.ToString(), Message = ex.Message };
        }
    }
}
