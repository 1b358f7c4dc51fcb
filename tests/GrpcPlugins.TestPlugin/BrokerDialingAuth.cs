using Grpc.Core;
using GrpcPlugins.Auth.V1;

namespace GrpcPlugins.TestPlugin;

/// <summary>
/// Auth for a HashiCorp go-plugin host that serves it a helper through go-plugin's broker (go-plugin's "bidirectional"
/// pattern): Authenticate with username "broker" and the broker id as password dials that id, signs in at the host's
/// helper as "csharp-plugin", and answers "via-broker:" and the helper's token. Run as mode "goplugin-broker".
/// </summary>
internal sealed class BrokerDialingAuth(IPluginBroker broker) : AuthService.AuthServiceBase
{
    public override async Task<AuthenticateResponse> Authenticate(AuthenticateRequest request, ServerCallContext context)
    {
        if (request.Username != "broker" || !uint.TryParse(request.Password, out var id))
        {
            throw new PluginException(PluginErrorCode.Unauthenticated, "Sign in as 'broker' with the broker id of the host's helper as password.");
        }

        using var channel = await broker.DialAsync(id, context.CancellationToken);
        var helper = await new AuthService.AuthServiceClient(channel).AuthenticateAsync(
            new AuthenticateRequest { Type = AuthType.Password, Username = "csharp-plugin", Password = "through-the-broker" },
            cancellationToken: context.CancellationToken);
        return new AuthenticateResponse { Result = new AuthResult { Token = "via-broker:" + helper.Result.Token, User = helper.Result.User } };
    }
}
