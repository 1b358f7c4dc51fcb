using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.NoEmit;
using GrpcPlugins.Benchmarks.Internal;
using GrpcPlugins.Benchmarks.Micro;

// dotnet run -c Release --project tests/Benchmarks -- all | smoke | micro [BenchmarkDotNet arguments]
var mode = args.Length > 0 ? args[0] : "help";
var rest = args.Skip(1).ToArray();
switch (mode)
{
    case "all":
        return await Suite.RunAsync("dotnet run -c Release --project tests/Benchmarks -- " + string.Join(' ', args), Options.Parse(new SuiteSettings(), rest));
    case "smoke":
        // Proves every measurement path and every micro benchmark still runs; sizes are tiny and no timing can fail it.
        var micro = BenchmarkRunner.Run([typeof(ErrorMappingBenchmarks), typeof(ContextBenchmarks), typeof(ChunkingBenchmarks)], DryConfig());
        if (micro.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)))
        {
            Console.Error.WriteLine("A micro benchmark failed; see its output above.");
            return 1;
        }

        return await Suite.RunAsync("dotnet run --project tests/Benchmarks -- " + string.Join(' ', args), Options.Parse(SuiteSettings.ForSmoke(), rest));
    case "micro":
        BenchmarkSwitcher.FromAssembly(typeof(ErrorMappingBenchmarks).Assembly).Run(rest);
        return 0;
    case "serve-plain":
        return await GrpcPlugins.Benchmarks.Internal.Servers.PlainServer.ServeAsync(rest);
    case "plugin" when rest is ["discard", ..]:
        return await DiscardStorage.ServeAsync(rest[1..]);
    default:
        Console.Error.WriteLine("""
            Usage: dotnet run -c Release --project tests/Benchmarks -- <mode>
              all     every whole-process measure at full size, one table, writes docs/benchmarks.md
              smoke   every measure and micro benchmark once at tiny sizes (CI), writes to the temp folder
              micro   BenchmarkDotNet micro benchmarks; BenchmarkDotNet arguments follow (e.g. --filter '*')
            Options of all and smoke: --only unary,cold,aot,stream,fanout,upgrade,recovery,host,go,sandbox (sandbox only when named) --chunk <bytes>  --calls <n>  --cold-starts <n>
              --stream-mib <n>  --plugin-env NAME=VALUE (repeatable)
              --rounds <n>  --transfers <n>  --servers ft,ft-scan,plain,nginx  --variant --Key=Value (repeatable: a second host, ft-b)  --no-go  --out <file>  --test-plugin <dll>  --monitors <n>
            """);
        return 2;
}

static IConfig DryConfig() => ManualConfig.CreateMinimumViable()
    .AddJob(Job.Dry.WithToolchain(InProcessNoEmitToolchain.Instance))
    .WithOptions(ConfigOptions.DisableOptimizationsValidator)
    .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "grpcplugins-benchmarks-smoke"));
