using Grpc.Core;
using GrpcPlugins;
using GrpcPlugins.Auth.V1;
using GrpcPlugins.Sdk;
using Action = GrpcPlugins.Auth.V1.Action;

namespace MyAuth;

/// <summary>Lets the holders of the tokens listed in the 'tokens' setting read, and nothing more.</summary>
public sealed class TokenListAuth : AuthService.AuthServiceBase, IPluginLifecycle
{
    private HashSet<string> _tokens = [];

    /// <inheritdoc />
    public Task InitAsync(IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        if (!config.TryGetValue("tokens", out var tokens) || string.IsNullOrWhiteSpace(tokens))
        {
            throw new PluginException(PluginErrorCode.InvalidArgument, "'tokens' is missing: set it to a comma-separated list of tokens.");
        }

        _tokens = [.. tokens.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task<AuthorizeResponse> Authorize(AuthorizeRequest request, ServerCallContext context) =>
        _tokens.Contains(request.Token)
            ? Task.FromResult(new AuthorizeResponse { Allowed = request.Action == Action.Read, User = new User { Username = "reader" } })
            : throw new PluginException(PluginErrorCode.Unauthenticated, "Unknown token: use one of the configured 'tokens'.");
}
