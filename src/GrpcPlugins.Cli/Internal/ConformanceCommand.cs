using System.CommandLine;
using GrpcPlugins.Conformance;
using GrpcPlugins.Plugin.V1;

namespace GrpcPlugins.Cli.Internal;

/// <summary><c>grpcplugins conformance -- COMMAND [ARGS]</c>: runs the conformance kit against a plugin.</summary>
internal static class ConformanceCommand
{
    public static Command Create()
    {
        var type = new Option<string?>("--type")
        {
            Description = "The type the plugin must be: auth, storage, protocol, monitor or custom. Defaults to the type it reports in GetMetadata; required with --go-plugin.",
            HelpName = "type",
        };
        type.AcceptOnlyFromAmong("auth", "storage", "protocol", "monitor", "custom");
        var goPlugin = new Option<bool>("--go-plugin") { Description = "Check a HashiCorp go-plugin plugin: no PluginService or Init required; give --type and --cookie." };
        var junit = new Option<string?>("--junit") { Description = "Also write the results as JUnit XML to this file.", HelpName = "file" };
        var cookie = new Option<string[]>("--cookie") { Description = "The magic cookie to launch the plugin with, KEY=VALUE. Defaults to GrpcPlugins' own; required with --go-plugin.", HelpName = "KEY=VALUE" };
        var config = new Option<string[]>("--config") { Description = "An InitRequest.config entry, KEY=VALUE; repeat for several (an auth plugin's users file, a storage root).", HelpName = "KEY=VALUE" };
        var env = new Option<string[]>("--env") { Description = "An environment variable for the plugin, KEY=VALUE; repeat for several.", HelpName = "KEY=VALUE" };
        var username = new Option<string?>("--username") { Description = "For an auth plugin: a user that --password authenticates, to check good credentials too.", HelpName = "user" };
        var password = new Option<string?>("--password") { Description = "For an auth plugin: the password of --username.", HelpName = "password" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds the plugin may take to start or stop. Defaults to 30.", HelpName = "seconds", DefaultValueFactory = _ => 30 };
        var plugin = new Argument<string[]>("COMMAND") { Description = "The plugin's command line, after --.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("conformance", "Launch a plugin, in any language, as a host would and check its wire protocol and its built-in contract; one line per check, exit code 7 if any fails.")
        {
            type, goPlugin, junit, cookie, config, env, username, password, timeout, plugin,
        };
        CliCommands.SetHandler(command, async (parse, cancellationToken) =>
        {
            var line = parse.GetValue(plugin)!;
            var options = new ConformanceOptions
            {
                Command = line[0],
                GoPlugin = parse.GetValue(goPlugin),
                Username = parse.GetValue(username),
                Password = parse.GetValue(password),
                StartTimeout = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(timeout))),
                Type = parse.GetValue(type) switch
                {
                    null => null,
                    "auth" => PluginType.Auth,
                    "storage" => PluginType.Storage,
                    "protocol" => PluginType.Protocol,
                    "monitor" => PluginType.Monitor,
                    _ => PluginType.Custom,
                },
            };
            foreach (var argument in line.Skip(1))
            {
                options.Arguments.Add(argument);
            }

            AddPairs(options.Cookies, parse.GetValue(cookie), "--cookie");
            AddPairs(options.Config, parse.GetValue(config), "--config");
            AddPairs(options.Environment, parse.GetValue(env), "--env");
            if (options.GoPlugin && (options.Type is null || options.Cookies.Count == 0))
            {
                throw new CliError("--go-plugin needs --type and --cookie KEY=VALUE: a go-plugin plugin reports neither its type nor its cookie.", ExitCodes.Usage);
            }

            var report = await ConformanceRunner.RunAsync(options, cancellationToken).ConfigureAwait(false);
            Console.Write(report.ToText());
            if (parse.GetValue(junit) is { } file)
            {
                report.ToJUnitXml().Save(file);
            }

            return report.Succeeded ? ExitCodes.Success : ExitCodes.ConformanceFailed;
        });
        return command;
    }

    private static void AddPairs(IDictionary<string, string> target, string[]? pairs, string option)
    {
        foreach (var pair in pairs ?? [])
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CliError($"{option} '{pair}' is not KEY=VALUE; write it as {option} NAME=value.", ExitCodes.Usage);
            }

            target[pair[..equals]] = pair[(equals + 1)..];
        }
    }
}
