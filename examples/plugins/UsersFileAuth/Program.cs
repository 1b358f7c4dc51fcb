using GrpcPlugins.Sdk;
using UsersFileAuth;
using UsersFileAuth.Internal;

if (args.Length > 0 && args[0] == AddUserCommand.Name)
{
    return await AddUserCommand.RunAsync(args, Console.In, Console.Out, Console.Error);
}

return await PluginServer.RunAsync(args, UsersFileAuthPlugin.Configure);
