using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Sdk;
using Microsoft.Extensions.DependencyInjection.Extensions;
using UsersFileAuth;
using UsersFileAuth.Internal;

if (args.Length > 0 && args[0] == AddUserCommand.Name)
{
    return await AddUserCommand.RunAsync(args, Console.In, Console.Out, Console.Error);
}

// CAPABILITY_OIDC is always reported because the configuration arrives only with Init; without the
// oidc_ keys an OIDC sign-in fails with NotSupported.
return await PluginServer.RunAsync(args, p =>
{
    p.AddAuth<UsersFileAuthService>().WithCapabilities(Capability.Oidc);
    p.Services.TryAddSingleton(TimeProvider.System);
});
