using Grpc.Core;
using Grpc.Net.Client;
using GrpcPlugins.Auth.V1;
using GrpcPlugins.Plugin.V1;
using static GrpcPlugins.Conformance.Internal.CheckRunner;

namespace GrpcPlugins.Conformance.Internal;

/// <summary>The auth contract: bad credentials and tokens are refused, good ones (when given) accepted.</summary>
internal sealed class AuthSuite(ConformanceOptions options, GrpcChannel channel, CallOptionsFactory calls) : ContractSuite(options, channel, calls)
{
    private readonly AuthService.AuthServiceClient client = new(channel);

    public override string ServiceName => AuthService.Descriptor.FullName;

    public override Task CallBeforeInitAsync(CancellationToken cancellationToken) =>
        client.AuthorizeAsync(new AuthorizeRequest { Token = "conformance-" + Guid.NewGuid(), Resource = "/", Action = Auth.V1.Action.Read }, Calls.Create(cancellationToken)).ResponseAsync;

    protected override Func<CancellationToken, Task>? FailingCall => BadCredentialsAsync;

    protected override async Task RunContractAsync(CheckRunner runner, PluginMetadata? metadata)
    {
        await runner.RunAsync("auth.bad-credentials", "Fail Authenticate with an unknown user or a wrong password with UNAUTHENTICATED.",
            ct => ExpectStatusAsync(() => BadCredentialsAsync(ct), "Authenticate with a random user and password", StatusCode.Unauthenticated)).ConfigureAwait(false);
        await runner.RunAsync("auth.bad-token", "Answer Authorize with a token the plugin never issued with allowed = false, or fail it with UNAUTHENTICATED.",
            async ct =>
            {
                try
                {
                    var response = await CallBeforeInitWithAsync(ct).ConfigureAwait(false);
                    Expect(!response.Allowed, "Authorize allowed a token the plugin never issued");
                }
                catch (RpcException ex) when (ex.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied)
                {
                }
            }).ConfigureAwait(false);
        if (Options.Username is null || Options.Password is null)
        {
            runner.Skip("auth.good-credentials", "no --username and --password given");
            return;
        }

        await runner.RunAsync("auth.good-credentials", "Answer Authenticate with good credentials with a token that Authorize then accepts as the same user.",
            async ct =>
            {
                var result = (await client.AuthenticateAsync(new AuthenticateRequest { Type = AuthType.Password, Username = Options.Username, Password = Options.Password }, Calls.Create(ct)).ConfigureAwait(false)).Result;
                Expect(result is not null && result.Token.Length > 0, "Authenticate with good credentials returned no token");
                var authorized = await client.AuthorizeAsync(new AuthorizeRequest { Token = result!.Token, Resource = "/", Action = Auth.V1.Action.Read }, Calls.Create(ct)).ConfigureAwait(false);
                Expect(authorized.User is null || result.User is null || authorized.User.Id == result.User.Id, $"Authorize named user '{authorized.User?.Id}', but the token was issued to '{result.User?.Id}'");
            }).ConfigureAwait(false);
    }

    private Task<AuthorizeResponse> CallBeforeInitWithAsync(CancellationToken cancellationToken) =>
        client.AuthorizeAsync(new AuthorizeRequest { Token = "conformance-" + Guid.NewGuid(), Resource = "/", Action = Auth.V1.Action.Read }, Calls.Create(cancellationToken)).ResponseAsync;

    private Task BadCredentialsAsync(CancellationToken cancellationToken) =>
        client.AuthenticateAsync(new AuthenticateRequest { Type = AuthType.Password, Username = "conformance-" + Guid.NewGuid().ToString("N")[..8], Password = Guid.NewGuid().ToString() }, Calls.Create(cancellationToken)).ResponseAsync;
}
