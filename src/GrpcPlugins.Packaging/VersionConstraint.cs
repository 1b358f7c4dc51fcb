namespace GrpcPlugins.Packaging;

/// <summary>
/// The host versions a package supports, as rebar3 and RubyGems write them: comparisons joined by commas, all of which
/// must hold, such as <c>&gt;= 1.0, &lt; 3</c>. The operators are <c>==</c>, <c>&gt;=</c>, <c>&gt;</c>, <c>&lt;=</c>,
/// <c>&lt;</c> and <c>~&gt;</c> (pessimistic: <c>~&gt; 1.2</c> is <c>&gt;= 1.2, &lt; 2.0</c>, and <c>~&gt; 1.2.3</c> is
/// <c>&gt;= 1.2.3, &lt; 1.3.0</c>). A bare version means <c>==</c>.
/// </summary>
public sealed class VersionConstraint
{
    private static readonly string[] Operators = ["~>", ">=", "<=", "==", ">", "<"];
    private readonly List<(string Operator, PluginVersion Version)> _terms;

    private VersionConstraint(string text, List<(string, PluginVersion)> terms)
    {
        Text = text;
        _terms = terms;
    }

    /// <summary>The constraint as written.</summary>
    public string Text { get; }

    /// <summary>Reads a constraint.</summary>
    /// <param name="text">The constraint, such as <c>~&gt; 1.0</c> or <c>&gt;= 1.0, &lt; 2</c>.</param>
    /// <returns>The constraint.</returns>
    /// <exception cref="FormatException">The text is not a constraint; the message says which part and the accepted form.</exception>
    public static VersionConstraint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var terms = new List<(string, PluginVersion)>();
        foreach (var raw in text.Split(','))
        {
            var term = raw.Trim();
            var op = Operators.FirstOrDefault(o => term.StartsWith(o, StringComparison.Ordinal));
            var versionText = op is null ? term : term[op.Length..].Trim();
            if (!PluginVersion.TryParse(versionText, out var version))
            {
                throw new FormatException(
                    $"'{term}' in the version constraint '{text}' is not a comparison: write an operator (~>, >=, >, <=, < or ==) and a version, such as '>= 1.0', and join several with commas.");
            }

            terms.Add((op ?? "==", version));
        }

        return new VersionConstraint(text.Trim(), terms);
    }

    /// <summary>Whether a version meets every comparison.</summary>
    /// <param name="version">The version to check.</param>
    /// <returns>Whether it does.</returns>
    public bool IsSatisfiedBy(PluginVersion version) => _terms.All(t => Holds(t.Operator, t.Version, version));

    /// <inheritdoc />
    public override string ToString() => Text;

    private static bool Holds(string op, PluginVersion bound, PluginVersion version) => op switch
    {
        "==" => version.CompareTo(bound) == 0,
        ">=" => version >= bound,
        ">" => version > bound,
        "<=" => version <= bound,
        "<" => version < bound,
        // ~> 1 and ~> 1.2 allow any later minor of that major; ~> 1.2.3 allows any later patch of that minor.
        _ => version >= bound && version.Major == bound.Major && (bound.Parts < 3 || version.Minor == bound.Minor),
    };
}
