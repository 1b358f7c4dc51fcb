using System.Globalization;
using System.Text;
using Spectre.Console;

namespace GrpcPlugins.Benchmarks.Internal;

/// <summary>A figure one row compares against: a limit (in-process, transport, disk) or a peer or target.</summary>
internal sealed record Reference(string Name, double Value);

/// <summary>One measured figure, with what it is compared to. Ratios are ours divided by the reference's.</summary>
internal sealed record Row(string Measure, string Unit, double Value, Reference? Limit = null, Reference? Peer = null)
{
    public static string Format(double value) => double.IsNaN(value)
        ? "n/a"
        : value >= 100 ? value.ToString("#,0", CultureInfo.InvariantCulture) : value.ToString("0.##", CultureInfo.InvariantCulture);

    public static string Ratio(double value, Reference? reference) =>
        reference is null || double.IsNaN(reference.Value) || reference.Value == 0 ? "—" : (value / reference.Value).ToString("0.00", CultureInfo.InvariantCulture) + "×";

    public static string Cell(Reference? reference) => reference is null ? "—" : $"{Format(reference.Value)} ({reference.Name})";
}

/// <summary>The suite's result: printed as one table, and written as Markdown.</summary>
internal sealed class Report(string command, Machine machine, DateTimeOffset started)
{
    private readonly List<Row> _rows = [];
    private readonly List<string> _notes = [];

    public void Add(Row row) => _rows.Add(row);

    public void Note(string note) => _notes.Add(note);

    public IReadOnlyList<Row> Rows => _rows;

    public void Print()
    {
        var table = new Table().Border(TableBorder.Rounded).Title("GrpcPlugins benchmarks");
        foreach (var header in Headers)
        {
            table.AddColumn(new TableColumn(header));
        }

        foreach (var row in _rows)
        {
            table.AddRow(Cells(row).Select(Markup.Escape).ToArray());
        }

        if (Console.IsOutputRedirected)
        {
            // A log file or CI has no terminal width; keep each row on one line.
            AnsiConsole.Profile.Width = 200;
        }

        AnsiConsole.Write(table);
        foreach (var note in _notes)
        {
            AnsiConsole.MarkupLine("[grey]" + Markup.Escape(note) + "[/]");
        }
    }

    public string ToMarkdown(string? tuning)
    {
        var md = new StringBuilder();
        md.AppendLine("# Benchmarks").AppendLine();
        md.AppendLine("Written by `tests/Benchmarks`; see its README for what each figure measures and how to run it.").AppendLine();
        md.AppendLine($"- Command: `{command}`");
        md.AppendLine($"- Date: {started.UtcDateTime:yyyy-MM-dd HH:mm} UTC");
        md.AppendLine($"- CPU: {machine.Cpu}, {machine.Cores} cores");
        md.AppendLine($"- RAM: {machine.Ram}");
        md.AppendLine($"- OS: {machine.Os}");
        md.AppendLine($"- .NET: {machine.DotNet}");
        md.AppendLine($"- Disk of the data folder: {machine.Disk}");
        md.AppendLine();
        md.AppendLine("Ratios are ours divided by the reference: for times (µs, ms, MiB of memory) below 1× is better, for rates (/s) above 1× is better.");
        md.AppendLine();
        md.AppendLine("| " + string.Join(" | ", Headers) + " |");
        md.AppendLine("|" + string.Concat(Headers.Select(_ => " --- |")));
        foreach (var row in _rows)
        {
            md.AppendLine("| " + string.Join(" | ", Cells(row).Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))) + " |");
        }

        md.AppendLine();
        md.Append(Goals.ToMarkdown(_rows)).AppendLine();
        foreach (var note in _notes)
        {
            md.AppendLine($"- {note}");
        }

        if (!string.IsNullOrWhiteSpace(tuning))
        {
            md.AppendLine().Append(tuning.TrimEnd()).AppendLine();
        }

        return md.ToString();
    }

    private static readonly string[] Headers = ["Measure", "Unit", "GrpcPlugins", "Limit", "× limit", "Peer / target", "× peer"];

    private static string[] Cells(Row row) =>
    [
        row.Measure, row.Unit, Row.Format(row.Value),
        Row.Cell(row.Limit), Row.Ratio(row.Value, row.Limit),
        Row.Cell(row.Peer), Row.Ratio(row.Value, row.Peer),
    ];
}
