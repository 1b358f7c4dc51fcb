using GrpcPlugins.Cli.Internal;

return await CliCommands.RunAsync(args);
