namespace GrpcPlugins.Cli.Internal;

/// <summary>The exit codes of grpcplugins, one per class of failure, so a script can tell them apart.</summary>
internal static class ExitCodes
{
    /// <summary>Everything worked.</summary>
    public const int Success = 0;

    /// <summary>Any failure without a code of its own: the host unreachable, a file unreadable, a start that failed.</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong.</summary>
    public const int Usage = 2;

    /// <summary>The host refused the token (HTTP 401 or 403).</summary>
    public const int Auth = 3;

    /// <summary>No plugin of that name (HTTP 404).</summary>
    public const int NotFound = 4;

    /// <summary>The package or configuration was refused: a checksum, signature, path, size, manifest or schema problem (HTTP 400).</summary>
    public const int Refused = 5;

    /// <summary>The change conflicts with what is there: the name is taken, the plugin is built-in, or the host version does not fit (HTTP 409).</summary>
    public const int Conflict = 6;

    /// <summary>grpcplugins conformance: at least one check failed.</summary>
    public const int ConformanceFailed = 7;

    /// <summary>Interrupted with Ctrl+C.</summary>
    public const int Cancelled = 130;
}

/// <summary>A failure found by grpcplugins, printed as one line with its exit code.</summary>
/// <param name="message">What went wrong and how to fix it.</param>
/// <param name="exitCode">The process exit code.</param>
internal sealed class CliError(string message, int exitCode = ExitCodes.Failure) : Exception(message)
{
    /// <summary>The process exit code.</summary>
    public int ExitCode { get; } = exitCode;
}
