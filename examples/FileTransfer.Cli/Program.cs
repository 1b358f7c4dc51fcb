using FileTransfer.Cli.Internal;

return await FtCommands.RunAsync(args);
