using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Sdk;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using UsersFileAuth.Internal;

namespace UsersFileAuth;

/// <summary>The plugin as <see cref="PluginServer.RunAsync"/> serves it; tests serve the same with PluginTestServer.</summary>
public static class UsersFileAuthPlugin
{
    /// <summary>
    /// Adds the auth service and its settings (bound from Init's config and validated). CAPABILITY_OIDC is always
    /// reported because the configuration arrives only with Init; without the oidc_ keys an OIDC sign-in fails with
    /// NotSupported. A clock registered before (a test's) is kept; otherwise the system clock.
    /// </summary>
    /// <param name="p">The plugin's builder.</param>
    public static void Configure(PluginBuilder p)
    {
        ArgumentNullException.ThrowIfNull(p);
        p.AddAuth<UsersFileAuthService>().WithCapabilities(Capability.Oidc);
        p.AddSettings<UsersFileAuthSettings>().Bind(p.Settings);
        p.Services.AddSingleton<IValidateOptions<UsersFileAuthSettings>, UsersFileAuthSettingsValidator>();
        p.Services.TryAddSingleton(TimeProvider.System);
    }
}
