using System.Collections.Concurrent;
using Grpc.Core;
using GrpcPlugins;
using GrpcPlugins.Protocol.V1;
using GrpcPlugins.Sdk;

namespace MyProtocol;

/// <summary>Accepts each send and remembers it; replace Send with the code that moves the file.</summary>
public sealed class RecordingProtocol : ProtocolService.ProtocolServiceBase
{
    private readonly ConcurrentDictionary<string, Transfer> _transfers = new();

    /// <inheritdoc />
    public override Task<SendResponse> Send(SendRequest request, ServerCallContext context)
    {
        if (string.IsNullOrEmpty(request.Destination))
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, "The send names no destination: give the address to send the file to.");
        }

        var id = string.IsNullOrEmpty(request.TransferId) ? Guid.NewGuid().ToString("N") : request.TransferId;
        var transfer = new Transfer { Id = id };
        _transfers[id] = transfer;
        return Task.FromResult(new SendResponse { Transfer = transfer });
    }

    /// <inheritdoc />
    public override Task<StatusResponse> Status(StatusRequest request, ServerCallContext context) =>
        _transfers.TryGetValue(request.Id, out var transfer)
            ? Task.FromResult(new StatusResponse { Transfer = transfer })
            : throw new PluginException(PluginErrorCode.NotFound, $"No transfer has the id '{request.Id}': use an id that Send returned.");
}
