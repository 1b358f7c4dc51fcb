namespace GrpcPlugins.Conformance.Internal;

/// <summary>Thrown by a check that saw the plugin misbehave: what was seen, and what to change.</summary>
internal sealed class CheckFailedException(string message, string? fixIt = null) : Exception(message)
{
    public string? FixIt { get; } = fixIt;
}

/// <summary>Thrown by a check that does not apply, with the reason.</summary>
internal sealed class CheckSkippedException(string reason) : Exception(reason);
