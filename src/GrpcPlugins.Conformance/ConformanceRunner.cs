using GrpcPlugins.Conformance.Internal;

namespace GrpcPlugins.Conformance;

/// <summary>
/// Runs the conformance checks against one plugin: launches it as a host would, checks the wire protocol
/// (handshake, cookie, socket permissions, health, metadata, lifecycle, error details, context, cancellation, exit)
/// and its built-in contract's semantics, and returns one result per check. See docs/conformance.md.
/// </summary>
/// <example>
/// <code>
/// var options = new ConformanceOptions { Command = "./my-plugin" };
/// var report = await ConformanceRunner.RunAsync(options);
/// Console.Write(report.ToText());
/// </code>
/// </example>
public static class ConformanceRunner
{
    /// <summary>Runs every check that applies to the plugin.</summary>
    /// <param name="options">The plugin's command line and what to check.</param>
    /// <param name="cancellationToken">Stops the run; the plugin processes are killed.</param>
    /// <returns>The report, one result per check, in the order they ran.</returns>
    /// <exception cref="ArgumentException">The options lack the command, or go-plugin mode lacks the type or the cookie.</exception>
    public static async Task<ConformanceReport> RunAsync(ConformanceOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Command))
        {
            throw new ArgumentException("ConformanceOptions.Command is empty: give the plugin's executable.", nameof(options));
        }

        if (options.GoPlugin && (options.Type is null || options.Cookies.Count == 0))
        {
            throw new ArgumentException("go-plugin mode needs the plugin's type (ConformanceOptions.Type, --type) and its magic cookie (ConformanceOptions.Cookies, --cookie KEY=VALUE): a go-plugin plugin reports neither.", nameof(options));
        }

        var runner = new CheckRunner(options.StartTimeout + options.CallTimeout, cancellationToken);
        await new ProtocolSuite(options, runner).RunAsync(cancellationToken).ConfigureAwait(false);
        var command = string.Join(' ', new[] { options.Command }.Concat(options.Arguments));
        return new ConformanceReport(command, runner.Results);
    }
}
