using System.Xml.Linq;

namespace GrpcPlugins.Conformance.Tests;

/// <summary>
/// `grpcplugins conformance` on every example plugin, one line each in conformance-plugins.txt: the command exits 0
/// and its JUnit XML lists no failure.
/// </summary>
public sealed class ExamplePluginTests
{
    public static TheoryData<string> Plugins()
    {
        var data = new TheoryData<string>();
        foreach (var line in Lines())
        {
            data.Add(line.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Plugins))]
    public async Task Conformance_ExamplePlugin_Passes(string name)
    {
        var line = Lines().Single(l => l.Name == name);
        var tmp = Directory.CreateTempSubdirectory("grpcplugins-conformance-").FullName;
        try
        {
            var goPlugin = line.Arguments.Contains("{goplugin}", StringComparison.Ordinal) ? await Repo.GoPluginAsync() : string.Empty;
            await Repo.BuildExamplesAsync(line.Arguments);
            var junit = Path.Combine(tmp, "junit.xml");
            var arguments = new List<string> { "conformance", "--junit", junit };
            arguments.AddRange(line.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(a => a
                .Replace("{repo}", Repo.Root, StringComparison.Ordinal)
                .Replace("{bin}", Repo.Bin, StringComparison.Ordinal)
                .Replace("{tmp}", tmp, StringComparison.Ordinal)
                .Replace("{goplugin}", goPlugin, StringComparison.Ordinal)));

            var (code, stdout, stderr) = await Repo.RunAsync(Repo.Cli, arguments, TimeSpan.FromMinutes(5));

            Assert.True(code == 0, $"exit code {code}\n{stdout}\n{stderr}");
            var suite = XDocument.Load(junit).Root!.Element("testsuite")!;
            Assert.Equal("0", suite.Attribute("failures")!.Value);
            Assert.True(suite.Elements("testcase").Count(c => !c.Elements().Any()) >= 5, stdout);
        }
        finally
        {
            Directory.Delete(tmp, recursive: true);
        }
    }

    private static IEnumerable<(string Name, string Arguments)> Lines() =>
        File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "conformance-plugins.txt"))
            .Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#'))
            .Select(l => l.Split('|', 2, StringSplitOptions.TrimEntries))
            .Select(p => (p[0], p[1]));
}
