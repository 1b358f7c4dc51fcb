using System.Globalization;
using System.Text;
using System.Xml.Linq;

namespace GrpcPlugins.Conformance;

/// <summary>The results of a conformance run, in the order the checks ran.</summary>
/// <param name="Plugin">The command line that was checked.</param>
/// <param name="Results">One result per check.</param>
public sealed record ConformanceReport(string Plugin, IReadOnlyList<CheckResult> Results)
{
    /// <summary>True when no check failed.</summary>
    public bool Succeeded => Results.All(r => r.Outcome != CheckOutcome.Failed);

    /// <summary>The result of the check of that name, or null when it did not run.</summary>
    /// <param name="name">A check's name, such as <c>health.plugin</c>.</param>
    /// <returns>The result, or null.</returns>
    public CheckResult? this[string name] => Results.FirstOrDefault(r => r.Name == name);

    /// <summary>Renders the report for a person: one line per check, a fix-it line under each failure, and a summary.</summary>
    /// <returns>The text, ending in a newline.</returns>
    public string ToText()
    {
        var text = new StringBuilder();
        foreach (var result in Results)
        {
            var tag = result.Outcome switch
            {
                CheckOutcome.Passed => "PASS",
                CheckOutcome.Failed => "FAIL",
                _ => "SKIP",
            };
            text.Append(CultureInfo.InvariantCulture, $"{tag}  {result.Name}");
            if (result.Message.Length > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $": {result.Message}");
            }

            text.Append('\n');
            if (result.Outcome == CheckOutcome.Failed && result.FixIt.Length > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"      fix: {result.FixIt}\n");
            }
        }

        text.Append(CultureInfo.InvariantCulture,
            $"{Count(CheckOutcome.Passed)} passed, {Count(CheckOutcome.Failed)} failed, {Count(CheckOutcome.Skipped)} skipped\n");
        return text.ToString();
    }

    /// <summary>Renders the report as JUnit XML (one testsuite, one testcase per check), as CI systems read it.</summary>
    /// <returns>The XML document.</returns>
    public XDocument ToJUnitXml()
    {
        var suite = new XElement("testsuite",
            new XAttribute("name", "grpcplugins conformance"),
            new XAttribute("tests", Results.Count),
            new XAttribute("failures", Count(CheckOutcome.Failed)),
            new XAttribute("skipped", Count(CheckOutcome.Skipped)),
            new XAttribute("time", Seconds(Results.Aggregate(TimeSpan.Zero, (sum, r) => sum + r.Duration))),
            new XElement("properties", new XElement("property", new XAttribute("name", "plugin"), new XAttribute("value", Plugin))));
        foreach (var result in Results)
        {
            var testCase = new XElement("testcase",
                new XAttribute("classname", "conformance." + result.Name.Split('.')[0]),
                new XAttribute("name", result.Name),
                new XAttribute("time", Seconds(result.Duration)));
            if (result.Outcome == CheckOutcome.Failed)
            {
                testCase.Add(new XElement("failure", new XAttribute("message", result.Message), "fix: " + result.FixIt));
            }
            else if (result.Outcome == CheckOutcome.Skipped)
            {
                testCase.Add(new XElement("skipped", new XAttribute("message", result.Message)));
            }

            suite.Add(testCase);
        }

        return new XDocument(new XElement("testsuites", suite));
    }

    private int Count(CheckOutcome outcome) => Results.Count(r => r.Outcome == outcome);

    private static string Seconds(TimeSpan duration) => duration.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
}
