using Grpc.Core;
using GrpcPlugins;
using MyService.V1;

namespace MyService;

/// <summary>Serves the contract in Protos/greeter.proto; change both to your own.</summary>
public sealed class GreeterService : Greeter.GreeterBase
{
    /// <inheritdoc />
    public override Task<SayHelloResponse> SayHello(SayHelloRequest request, ServerCallContext context) =>
        string.IsNullOrWhiteSpace(request.Name)
            ? throw new PluginException(PluginErrorCode.InvalidArgument, "The name is empty: say who to greet.")
            : Task.FromResult(new SayHelloResponse { Message = $"Hello, {request.Name}!" });
}
