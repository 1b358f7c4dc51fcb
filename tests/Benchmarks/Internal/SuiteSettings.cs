namespace GrpcPlugins.Benchmarks.Internal;

/// <summary>The sizes of one run: the full "all" run, or the "smoke" run that only proves each path works.</summary>
internal sealed record SuiteSettings
{
    public bool Smoke { get; init; }

    public int UnaryCalls { get; init; } = 20_000;

    public int Concurrency { get; init; } = 16;

    public long StreamBytes { get; init; } = 1L << 30;

    public int ColdStarts { get; init; } = 20;

    public int MonitorPlugins { get; init; } = 3;

    public int FanOutEvents { get; init; } = 300_000;

    public int HostTransfers { get; init; } = 64;

    /// <summary>How many times the upgrade measure replaces the plugin.</summary>
    public int Replaces { get; init; } = 10;

    public long HostTransferBytes { get; init; } = 16L << 20;

    /// <summary>How many interleaved rounds the file-transfer comparison runs; medians are reported.</summary>
    public int HostRounds { get; init; } = 3;

    /// <summary>Untimed rounds each server gets first, so that every one is measured warm, as after minutes of service.</summary>
    public int HostWarmupRounds { get; init; } = 1;

    /// <summary>The servers of the file-transfer comparison: ft (the host, scanning off), ft-scan (as shipped), plain, nginx.</summary>
    public IReadOnlySet<string> HostServers { get; init; } = new HashSet<string> { "ft", "ft-scan", "plain", "nginx" };

    /// <summary>Extra host settings (--Key=Value) for a second file-transfer host, ft-b, interleaved with ft: an A/B tuning run.</summary>
    public IReadOnlyList<string> HostVariant { get; init; } = [];

    /// <summary>How many times the recovery measure SIGKILLs the storage plugin (each on a fresh plugin).</summary>
    public int RecoveryRounds { get; init; } = 5;

    /// <summary>How many clients store through the storage plugin while the recovery measure kills it.</summary>
    public int RecoveryClients { get; init; } = 200;

    public bool GoPeer { get; init; } = true;

    /// <summary>Whether to publish the test plugin with NativeAOT and measure its cold start too.</summary>
    public bool NativeAot { get; init; } = true;

    /// <summary>The host's Store chunk size; null keeps the PluginOptions default.</summary>
    public int? ChunkSize { get; init; }

    /// <summary>Measure groups to run; empty runs all.</summary>
    public IReadOnlySet<string> Only { get; init; } = new HashSet<string>();

    /// <summary>Extra environment variables for every C# plugin process, for tuning experiments.</summary>
    public IReadOnlyDictionary<string, string> PluginEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>The test plugin to start; null uses the build next to the suite. Lets a tuning run try a published build (ReadyToRun, say).</summary>
    public string? TestPlugin { get; init; }

    /// <summary>Where the Markdown report goes.</summary>
    public string Output { get; init; } = Path.Combine(Paths.RepoRoot, "docs", "benchmarks.md");

    public string WorkDirectory { get; init; } = Path.GetTempPath();

    public static SuiteSettings ForSmoke() => new()
    {
        Smoke = true,
        UnaryCalls = 200,
        StreamBytes = 8L << 20,
        ColdStarts = 2,
        FanOutEvents = 300,
        HostTransfers = 4,
        Replaces = 1,
        RecoveryRounds = 1,
        RecoveryClients = 8,
        HostTransferBytes = 1L << 20,
        HostRounds = 1,
        HostWarmupRounds = 0,
        GoPeer = false,
        NativeAot = false,
        Output = Path.Combine(Path.GetTempPath(), "grpcplugins-benchmarks-smoke.md"),
    };

    public bool Runs(string group) => Only.Count == 0 || Only.Contains(group);

    public string Size(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):0.#} GiB" : $"{bytes / (double)(1L << 20):0.#} MiB";
}
