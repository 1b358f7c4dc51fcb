namespace GrpcPlugins.Conformance;

/// <summary>How one conformance check ended.</summary>
public enum CheckOutcome
{
    /// <summary>The plugin did what the check asks.</summary>
    Passed,

    /// <summary>The plugin did not; the result says what to change.</summary>
    Failed,

    /// <summary>The check does not apply to this plugin (another type, go-plugin mode, nothing to observe).</summary>
    Skipped,
}
