using System.Xml.Linq;
using GrpcPlugins.TestSupport;

namespace GrpcPlugins.Conformance.Tests;

/// <summary>
/// `grpcplugins conformance` on examples/plugins/PostgresStorage against a private PostgreSQL server: the same kit,
/// and so the same storage checks, that FileSystemStorage passes (conformance-plugins.txt cannot name a database made
/// at run time, so this one plugin has its own test).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStorageTests(PostgresServer postgres)
{
    private static string Plugin => Path.Combine(Repo.Root, "examples", "plugins", "PostgresStorage", Repo.Bin, "PostgresStorage");

    [Fact]
    public async Task Conformance_PostgresStorage_Passes()
    {
        var database = await postgres.CreateDatabaseAsync();
        var tmp = Directory.CreateTempSubdirectory("grpcplugins-conformance-").FullName;
        try
        {
            var junit = Path.Combine(tmp, "junit.xml");

            // 4 KiB chunk rows, so the kit's 64 KiB chunks and its ranges cross many row edges.
            var (code, stdout, stderr) = await Repo.RunAsync(
                Repo.Cli,
                ["conformance", "--junit", junit, "--type", "storage", "--config", "connectionString=" + database, "--config", "chunk_bytes=4096", "--", Plugin],
                TimeSpan.FromMinutes(5));

            Assert.True(code == 0, $"exit code {code}\n{stdout}\n{stderr}\n{postgres.Log}");
            var suite = XDocument.Load(junit).Root!.Element("testsuite")!;
            Assert.Equal("0", suite.Attribute("failures")!.Value);
            var passed = suite.Elements("testcase").Where(c => !c.Elements().Any()).Select(c => c.Attribute("name")!.Value).ToList();
            Assert.Contains(passed, n => n.Contains("storage.range", StringComparison.Ordinal));
            Assert.Contains(passed, n => n.Contains("storage.cancelled-store", StringComparison.Ordinal));
            Assert.Contains(passed, n => n.Contains("storage.list-paging", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(tmp, recursive: true);
        }
    }
}
