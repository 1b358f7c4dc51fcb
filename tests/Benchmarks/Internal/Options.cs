namespace GrpcPlugins.Benchmarks.Internal;

/// <summary>The few options of "all" and "smoke", for tuning runs that change one thing at a time.</summary>
internal static class Options
{
    public static SuiteSettings Parse(SuiteSettings settings, string[] args)
    {
        var env = new Dictionary<string, string>(settings.PluginEnvironment);
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            settings = args[i] switch
            {
                "--only" => settings with { Only = Value().Split(',').ToHashSet() },
                "--chunk" => settings with { ChunkSize = int.Parse(Value()) },
                "--calls" => settings with { UnaryCalls = int.Parse(Value()) },
                "--cold-starts" => settings with { ColdStarts = int.Parse(Value()) },
                "--stream-mib" => settings with { StreamBytes = long.Parse(Value()) << 20 },
                "--test-plugin" => settings with { TestPlugin = Path.GetFullPath(Value()) },
                "--monitors" => settings with { MonitorPlugins = int.Parse(Value()) },
                "--warmup-rounds" => settings with { HostWarmupRounds = int.Parse(Value()) },
                "--rounds" => settings with { HostRounds = int.Parse(Value()) },
                "--transfers" => settings with { HostTransfers = int.Parse(Value()) },
                "--servers" => settings with { HostServers = Value().Split(',').ToHashSet() },
                "--variant" => settings with { HostVariant = [.. settings.HostVariant, Value()] },
                "--no-go" => settings with { GoPeer = false },
                "--no-aot" => settings with { NativeAot = false },
                "--out" => settings with { Output = Path.GetFullPath(Value()) },
                "--plugin-env" => AddEnv(settings, env, Value()),
                _ => throw new ArgumentException($"Unknown option '{args[i]}'; run without arguments for the usage."),
            };
        }

        return settings;
    }

    private static SuiteSettings AddEnv(SuiteSettings settings, Dictionary<string, string> env, string pair)
    {
        var parts = pair.Split('=', 2);
        if (parts.Length != 2)
        {
            throw new ArgumentException($"--plugin-env takes NAME=VALUE, not '{pair}'.");
        }

        env[parts[0]] = parts[1];
        return settings with { PluginEnvironment = env };
    }
}
