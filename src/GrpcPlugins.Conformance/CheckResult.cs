namespace GrpcPlugins.Conformance;

/// <summary>The result of one conformance check.</summary>
/// <param name="Name">The check's stable name, such as <c>handshake.line</c> or <c>storage.round-trip</c>.</param>
/// <param name="Outcome">Whether it passed, failed or was skipped.</param>
/// <param name="Message">What was seen: for a failure, what went wrong; for a skip, why.</param>
/// <param name="FixIt">For a failure, what to change in the plugin; otherwise empty.</param>
/// <param name="Duration">How long the check took.</param>
public sealed record CheckResult(string Name, CheckOutcome Outcome, string Message, string FixIt, TimeSpan Duration);
