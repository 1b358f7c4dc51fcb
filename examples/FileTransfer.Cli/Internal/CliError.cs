namespace FileTransfer.Cli.Internal;

/// <summary>The exit codes of ft, one per class of failure, so a script can tell them apart.</summary>
internal static class ExitCodes
{
    /// <summary>Everything worked.</summary>
    public const int Success = 0;

    /// <summary>Any failure without a code of its own: the host unreachable, a transfer failed, a digest mismatch.</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong.</summary>
    public const int Usage = 2;

    /// <summary>Not logged in, the session expired, wrong credentials, or the role lacks the action (HTTP 401 and 403).</summary>
    public const int Auth = 3;

    /// <summary>The file or transfer does not exist (HTTP 404).</summary>
    public const int NotFound = 4;

    /// <summary>Interrupted with Ctrl+C, as shells report SIGINT.</summary>
    public const int Cancelled = 130;
}

/// <summary>A failure found by ft itself (not by the host), printed as one line with its exit code.</summary>
internal sealed class CliError : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="message">What went wrong and how to fix it.</param>
    /// <param name="exitCode">The process exit code; <see cref="ExitCodes.Failure"/> unless said otherwise.</param>
    public CliError(string message, int exitCode = ExitCodes.Failure)
        : base(message)
    {
        ExitCode = exitCode;
    }

    /// <summary>The process exit code.</summary>
    public int ExitCode { get; }

    /// <summary>A usage error (exit code 2).</summary>
    /// <param name="message">What is wrong with the command line and how to fix it.</param>
    /// <returns>The error.</returns>
    public static CliError Usage(string message) => new(message, ExitCodes.Usage);

    /// <summary>An authentication error found before asking the host, such as no saved session (exit code 3).</summary>
    /// <param name="message">What is wrong and how to fix it.</param>
    /// <returns>The error.</returns>
    public static CliError Auth(string message) => new(message, ExitCodes.Auth);
}
