using System.CommandLine;
using System.Text.Json;
using GrpcPlugins.Packaging;
using Spectre.Console;

namespace GrpcPlugins.Cli.Internal;

/// <summary>The command tree of grpcplugins, and the one place where every failure becomes one line on standard error and an exit code.</summary>
internal static class CliCommands
{
    /// <summary>The environment variable that sets the plugins folder.</summary>
    public const string DirVariable = "GRPCPLUGINS_PLUGINS_DIR";

    /// <summary>The environment variable that sets the management API's server.</summary>
    public const string ServerVariable = "GRPCPLUGINS_SERVER";

    /// <summary>The older name of <see cref="ServerVariable"/>, still read when that one is not set.</summary>
    public const string HostVariable = "GRPCPLUGINS_HOST";

    /// <summary>The environment variable that sets the path the management API is mounted at.</summary>
    public const string BasePathVariable = "GRPCPLUGINS_BASE_PATH";

    /// <summary>The environment variable that holds the bearer token.</summary>
    public const string TokenVariable = "GRPCPLUGINS_TOKEN";

    /// <summary>The path hosts usually mount the management API at (GrpcPlugins.Management's MapGrpcPluginsManagement).</summary>
    public const string DefaultBasePath = "/v1/plugins";

    private static readonly Option<string> DirOption = new("--plugins-dir", "-d")
    {
        Description = $"The local plugins folder. Defaults to ${DirVariable}, else ./data/plugins.",
        HelpName = "dir",
        Recursive = true,
        DefaultValueFactory = _ => Env(DirVariable) ?? Path.Combine("data", "plugins"),
    };

    private static readonly Option<string?> ServerOption = new("--server", "--host")
    {
        Description = $"Act on a running host through its management API instead of the local folder: the host's address, such as http://127.0.0.1:5080. Defaults to ${ServerVariable} (or ${HostVariable}).",
        HelpName = "url",
        Recursive = true,
        DefaultValueFactory = _ => Env(ServerVariable) ?? Env(HostVariable),
    };

    private static readonly Option<string> BasePathOption = new("--base-path")
    {
        Description = $"Where the host mounts the management API. Defaults to ${BasePathVariable}, else {DefaultBasePath}.",
        HelpName = "path",
        Recursive = true,
        DefaultValueFactory = _ => Env(BasePathVariable) ?? DefaultBasePath,
    };

    private static readonly Option<string?> TokenOption = new("--token")
    {
        Description = $"A bearer token for --server, sent as 'Authorization: Bearer <token>'. Defaults to ${TokenVariable}.",
        HelpName = "token",
        Recursive = true,
        DefaultValueFactory = _ => Env(TokenVariable),
    };

    private static readonly Option<string[]> TrustedKeyOption = new("--trusted-key")
    {
        Description = "A PEM public key whose signatures are trusted; repeat for several.",
        HelpName = "file",
        Recursive = true,
    };

    private static readonly Option<bool> AllowUnsignedOption = new("--allow-unsigned")
    {
        Description = "Accept unsigned packages.",
        Recursive = true,
    };

    private static readonly Option<string?> HostVersionOption = new("--host-version")
    {
        Description = "The host version to check packages against. Defaults to this tool's version.",
        HelpName = "version",
        Recursive = true,
    };

    private static readonly Argument<string> PackageArgument = new("PKG") { Description = "The package (.zip)." };

    private static readonly Argument<string> NameArgument = new("NAME") { Description = "The plugin's name." };

    /// <summary>Parses the command line and runs the command.</summary>
    /// <param name="args">The command line.</param>
    /// <returns>The exit code (see <see cref="ExitCodes"/>).</returns>
    public static async Task<int> RunAsync(string[] args)
    {
        var root = Build();
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            await Console.Error.WriteLineAsync($"grpcplugins: {parsed.Errors[0].Message} (see grpcplugins --help)").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
    }

    /// <summary>Builds the command tree.</summary>
    /// <returns>The root command.</returns>
    public static RootCommand Build()
    {
        var root = new RootCommand("grpcplugins: make, check and manage GrpcPlugins packages, locally or on a running host (--server).")
        {
            DirOption, ServerOption, BasePathOption, TokenOption, TrustedKeyOption, AllowUnsignedOption, HostVersionOption,
            Pack(), Inspect(), Verify(), Keygen(), Install(), List(),
            StatusVerb("enable", "Enable a disabled plugin (it stays stopped until started).", InstalledStatus.Stopped, onlyIfDisabled: true),
            StatusVerb("disable", "Disable a plugin: stop it, and keep it from starting until enabled.", InstalledStatus.Disabled),
            StatusVerb("start", "Start a plugin on the host (--server), or mark it to start with the host.", InstalledStatus.Running),
            StatusVerb("stop", "Stop a plugin on the host (--server), or mark it not to start with the host.", InstalledStatus.Stopped),
            Uninstall(), ConformanceCommand.Create(), KeysCommand.Create(),
        };
        root.SetAction(_ =>
        {
            root.Parse(["--help"]).Invoke();
            return ExitCodes.Usage;
        });
        return root;
    }

    private static Command Pack()
    {
        var dir = new Argument<string>("DIR") { Description = "The folder with plugin.json and the plugin's files (such as a dotnet publish output)." };
        var output = new Option<string?>("--output", "-o") { Description = "The package to write. Defaults to <name>-<version>.zip in the current folder.", HelpName = "file" };
        var key = new Option<string?>("--key", "-k") { Description = "Sign with this private key (PEM, from grpcplugins keygen).", HelpName = "file" };
        var command = new Command("pack", "Make a package from a folder: checksums every file into plugin.json, signs it if given a key, and zips it.") { dir, output, key };
        SetHandler(command, (parse, _) =>
        {
            var keyPem = parse.GetValue(key) is { } keyPath ? ReadFile(keyPath, "key") : null;
            var temp = Path.Combine(Path.GetTempPath(), "grpcplugins-" + Guid.NewGuid().ToString("N") + ".zip");
            try
            {
                var manifest = PackageBuilder.Pack(parse.GetValue(dir)!, temp, keyPem);
                var target = parse.GetValue(output) ?? $"{manifest.Name}-{manifest.Version}.zip";
                File.Move(temp, target, overwrite: true);
                Console.WriteLine($"packed {manifest.Name} {manifest.Version}: {manifest.Files.Count} file(s), {(manifest.Signature is { } s ? "signed by key " + s.KeyId : "unsigned")} -> {Path.GetFullPath(target)}");
            }
            finally
            {
                File.Delete(temp);
            }

            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static Command Inspect()
    {
        var command = new Command("inspect", "Show a package's plugin.json, without checking it (verify checks it).") { PackageArgument };
        SetHandler(command, (parse, _) =>
        {
            var manifest = PackageVerifier.ReadManifest(parse.GetValue(PackageArgument)!);
            var table = new Table().HideHeaders().AddColumn("field").AddColumn("value");
            void Row(string field, string value) => table.AddRow(Markup.Escape(field), Markup.Escape(value));
            Row("name", manifest.Name);
            Row("version", manifest.Version.ToString());
            Row("description", manifest.Description);
            Row("authors", string.Join(", ", manifest.Authors));
            Row("builder", $"{manifest.Builder.Name} <{manifest.Builder.Contact}>");
            Row("source", manifest.SourceUrl.ToString());
            Row("built", manifest.BuildTime.ToString("u"));
            Row("types", string.Join(", ", manifest.Types).ToLowerInvariant());
            Row("entrypoint", string.Join(' ', [manifest.Entrypoint.Command, .. manifest.Entrypoint.Args]));
            Row("api versions", string.Join(", ", manifest.ApiVersions));
            Row("host versions", manifest.HostVersions.Text);
            Row("priority", manifest.Priority.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Row("reconfigure", manifest.Reconfigure.ToString().ToLowerInvariant());
            Row("config schema", manifest.ConfigSchema is null ? "none" : manifest.ConfigSchema.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            Row("signature", manifest.Signature is { } s ? $"{s.Algorithm}, key {s.KeyId}" : "unsigned");
            Row("files", manifest.Files.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);
            var files = new Table().AddColumn("file").AddColumn("sha256");
            foreach (var (path, sha) in manifest.Files)
            {
                files.AddRow(Markup.Escape(path), sha);
            }

            AnsiConsole.Write(files);
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static Command Verify()
    {
        var command = new Command("verify", "Check a package as an install would: every checksum, the signature against --trusted-key, and the host version.") { PackageArgument };
        SetHandler(command, (parse, _) =>
        {
            var package = new PackageVerifier(VerifierOptions(parse)).Verify(parse.GetValue(PackageArgument)!);
            Console.WriteLine($"verified {package.Manifest.Name} {package.Manifest.Version}: {package.Manifest.Files.Count} file(s) match their checksums, {(package.SignedBy is { } key ? "signed by trusted key " + key : "unsigned (allowed)")}, supports host {VerifierOptions(parse).HostVersion}");
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static Command Keygen()
    {
        var output = new Option<string>("--output", "-o") { Description = "The key files' name: writes NAME.key.pem (private, keep it secret) and NAME.pub.pem (public, for hosts to trust). Defaults to grpcplugins-signing.", HelpName = "name", DefaultValueFactory = _ => "grpcplugins-signing" };
        var command = new Command("keygen", "Make an ECDSA P-256 key pair for signing packages.") { output };
        SetHandler(command, (parse, _) =>
        {
            var name = parse.GetValue(output)!;
            var (privatePem, publicPem) = PackageSigner.CreateKey();
            var privatePath = name + ".key.pem";
            if (File.Exists(privatePath))
            {
                throw new CliError($"{privatePath} exists already; choose another --output, or remove it if you mean to replace the key.");
            }

            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                // Only the owner may read a private key.
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var writer = new StreamWriter(new FileStream(privatePath, create)))
            {
                writer.Write(privatePem);
            }

            File.WriteAllText(name + ".pub.pem", publicPem);
            Console.WriteLine($"key {PackageSigner.KeyId(publicPem)}: private {Path.GetFullPath(privatePath)}, public {Path.GetFullPath(name + ".pub.pem")}");
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static Command Install()
    {
        var command = new Command("install", "Verify and install a package, stopped: into the local plugins folder, or on the host with --server. A newer version of an installed plugin upgrades it; on a host (--server) a running plugin is upgraded without downtime, and rolled back if the new version fails to start.") { PackageArgument };
        SetHandler(command, async (parse, ct) =>
        {
            var path = parse.GetValue(PackageArgument)!;
            if (Api(parse) is { } api)
            {
                using (api)
                {
                    var (plugin, upgraded) = await api.UploadAsync(path, ct).ConfigureAwait(false);
                    Console.WriteLine($"{(upgraded ? "upgraded" : "installed")} {Text(plugin, "name")} {Text(plugin.GetProperty("metadata"), "version")} on {api.Host}: {Text(plugin, "status")}");
                }

                return ExitCodes.Success;
            }

            var directory = Directory(parse);
            var name = PackageVerifier.ReadManifest(path).Name;
            if (directory.IsInstalled(name))
            {
                var current = directory.Get(name);
                if (current.State.Status == InstalledStatus.Running)
                {
                    // A host may be running it from this folder; only the host can switch without downtime.
                    throw new CliError($"'{name}' is marked to run with the host, which may be running it from this folder. Upgrade it on the running host with --server (or --host; no downtime), or stop it first.", ExitCodes.Conflict);
                }

                var upgraded = directory.Upgrade(path);
                Console.WriteLine($"upgraded {name} {current.Manifest.Version} -> {upgraded.Manifest.Version} in {upgraded.Folder}: {Lower(upgraded.State.Status)}");
                return ExitCodes.Success;
            }

            var installed = directory.Install(path);
            Console.WriteLine($"installed {installed.Manifest.Name} {installed.Manifest.Version} in {installed.Folder}: {Lower(installed.State.Status)}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List the installed plugins: locally, or every plugin of the host with --server.");
        SetHandler(command, async (parse, ct) =>
        {
            var table = new Table().AddColumns("name", "version", "type", "priority", "status", "source");
            if (Api(parse) is { } api)
            {
                using (api)
                {
                    var body = await api.ListAsync(ct).ConfigureAwait(false);
                    table.AddColumn("pid");
                    foreach (var p in body.GetProperty("plugins").EnumerateArray())
                    {
                        table.AddRow(Markup.Escape(Text(p, "name")), Markup.Escape(Text(p.GetProperty("metadata"), "version")), Text(p, "type"), p.GetProperty("priority").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture), Text(p, "status"), Text(p, "source"), p.GetProperty("pid").ValueKind == JsonValueKind.Number ? p.GetProperty("pid").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture) : "-");
                    }
                }
            }
            else
            {
                foreach (var p in Directory(parse).List())
                {
                    table.AddRow(Markup.Escape(p.Manifest.Name), Markup.Escape(p.Manifest.Version.ToString()), Lower(p.Manifest.Types[0]), p.Manifest.Priority.ToString(System.Globalization.CultureInfo.InvariantCulture), Lower(p.State.Status), "package");
                }
            }

            AnsiConsole.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command StatusVerb(string verb, string description, InstalledStatus status, bool onlyIfDisabled = false)
    {
        var command = new Command(verb, description) { NameArgument };
        SetHandler(command, async (parse, ct) =>
        {
            var name = parse.GetValue(NameArgument)!;
            if (Api(parse) is { } api)
            {
                using (api)
                {
                    if (onlyIfDisabled && Text(await api.GetAsync(name, ct).ConfigureAwait(false), "status") != "disabled")
                    {
                        Console.WriteLine($"{name} is enabled already");
                        return ExitCodes.Success;
                    }

                    var plugin = await api.SetStatusAsync(name, Lower(status), ct).ConfigureAwait(false);
                    Console.WriteLine($"{name}: {Text(plugin, "status")} on {api.Host}");
                }

                return ExitCodes.Success;
            }

            var directory = Directory(parse);
            if (onlyIfDisabled && directory.Get(name).State.Status != InstalledStatus.Disabled)
            {
                Console.WriteLine($"{name} is enabled already");
                return ExitCodes.Success;
            }

            var updated = directory.SetStatus(name, status);
            Console.WriteLine($"{name}: {Lower(updated.State.Status)} (takes effect when the host starts; use --server to change a running host)");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Uninstall()
    {
        var command = new Command("uninstall", "Stop a plugin and remove its folder and state: locally, or on the host with --server.") { NameArgument };
        SetHandler(command, async (parse, ct) =>
        {
            var name = parse.GetValue(NameArgument)!;
            if (Api(parse) is { } api)
            {
                using (api)
                {
                    await api.UninstallAsync(name, ct).ConfigureAwait(false);
                    Console.WriteLine($"uninstalled {name} from {api.Host}");
                }

                return ExitCodes.Success;
            }

            Directory(parse).Uninstall(name);
            Console.WriteLine($"uninstalled {name}");
            return ExitCodes.Success;
        });
        return command;
    }

    internal static void SetHandler(Command command, Func<ParseResult, CancellationToken, Task<int>> body) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                return await body(parse, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                var (line, code) = ex switch
                {
                    CliError cli => (cli.Message, cli.ExitCode),
                    PackageException { Problem: PackageProblem.NotInstalled } package => (package.Message, ExitCodes.NotFound),
                    PackageException { Problem: PackageProblem.DuplicateName or PackageProblem.IncompatibleHost or PackageProblem.NotNewer or PackageProblem.UpgradeFailed } package => (package.Message, ExitCodes.Conflict),
                    PackageException package => (package.Message, ExitCodes.Refused),
                    OperationCanceledException when cancellationToken.IsCancellationRequested => ("cancelled", ExitCodes.Cancelled),
                    IOException or UnauthorizedAccessException => (ex.Message, ExitCodes.Failure),
                    _ => ($"unexpected {ex.GetType().Name}: {ex.Message}", ExitCodes.Failure),
                };
                var oneLine = string.Join(' ', line.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                await Console.Error.WriteLineAsync("grpcplugins: " + oneLine).ConfigureAwait(false);
                return code;
            }
        });

    private static PackageVerifierOptions VerifierOptions(ParseResult parse)
    {
        var options = new PackageVerifierOptions { AllowUnsigned = parse.GetValue(AllowUnsignedOption) }
            .TrustKeyFiles(parse.GetValue(TrustedKeyOption) ?? []);
        var version = parse.GetValue(HostVersionOption) ?? typeof(CliCommands).Assembly.GetName().Version!.ToString(3);
        options.HostVersion = PluginVersion.TryParse(version, out var parsed)
            ? parsed
            : throw new CliError($"--host-version '{version}' is not a version such as 1.0.0.", ExitCodes.Usage);
        return options;
    }

    private static PluginDirectory Directory(ParseResult parse) => new(parse.GetValue(DirOption)!, VerifierOptions(parse));

    internal static HostApi? Api(ParseResult parse) =>
        parse.GetValue(ServerOption) is { Length: > 0 } server ? new HostApi(server, parse.GetValue(BasePathOption)!, parse.GetValue(TokenOption)) : null;

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    private static string ReadFile(string path, string what) => File.Exists(path)
        ? File.ReadAllText(path)
        : throw new CliError($"The {what} file '{path}' does not exist.");

    private static string Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "-";

    private static string Lower<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();
}
