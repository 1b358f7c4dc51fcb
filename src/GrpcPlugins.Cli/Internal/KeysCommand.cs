using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace GrpcPlugins.Cli.Internal;

/// <summary><c>grpcplugins keys list|add|remove --server URL</c>: the signing keys a running host trusts, changed with no restart.</summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var command = new Command("keys", "List, add or remove the signing keys a running host (--server) trusts; a change takes effect at once and survives a restart.")
        {
            ListKeys(), AddKey(), RemoveKey(),
        };
        return command;
    }

    private static Command ListKeys()
    {
        var command = new Command("list", "List the keys the host trusts: from its settings (config) and added at run time (runtime).");
        CliCommands.SetHandler(command, async (parse, ct) =>
        {
            using var api = RequireApi(parse);
            var body = await api.ListKeysAsync(ct).ConfigureAwait(false);
            var table = new Table().AddColumns("fingerprint", "source", "added");
            foreach (var key in body.GetProperty("keys").EnumerateArray())
            {
                var added = key.GetProperty("addedAt");
                table.AddRow(Text(key, "fingerprint"), Text(key, "source"), added.ValueKind == JsonValueKind.String ? added.GetString()! : "-");
            }

            AnsiConsole.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command AddKey()
    {
        var file = new Argument<string>("FILE") { Description = "The public key to trust (the NAME.pub.pem file grpcplugins keygen wrote)." };
        var command = new Command("add", "Trust a public key: packages it signed install at once, and after restarts.") { file };
        CliCommands.SetHandler(command, async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                throw new CliError($"The key file '{path}' does not exist.");
            }

            using var api = RequireApi(parse);
            var key = await api.AddKeyAsync(await File.ReadAllTextAsync(path, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            Console.WriteLine($"trusted key {Text(key, "fingerprint")} on {api.Host}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command RemoveKey()
    {
        var fingerprint = new Argument<string>("FINGERPRINT") { Description = "The key's fingerprint, as keys list shows it." };
        var command = new Command("remove", "Stop trusting a key added at run time; installed plugins stay installed.") { fingerprint };
        CliCommands.SetHandler(command, async (parse, ct) =>
        {
            using var api = RequireApi(parse);
            var key = await api.RemoveKeyAsync(parse.GetValue(fingerprint)!, ct).ConfigureAwait(false);
            Console.WriteLine($"no longer trusts key {Text(key, "fingerprint")} on {api.Host}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static HostApi RequireApi(ParseResult parse) => CliCommands.Api(parse)
        ?? throw new CliError($"keys act on a running host: pass --server URL (or set {CliCommands.ServerVariable}). A host reads the keys of its settings when it starts.", ExitCodes.Usage);

    private static string Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "-";
}
