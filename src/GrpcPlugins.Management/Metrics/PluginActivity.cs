namespace GrpcPlugins.Management.Metrics;

/// <summary>What a plugin did lately, as the dashboard's detail view draws it.</summary>
/// <param name="Plugin">The plugin's name.</param>
/// <param name="Now">When the snapshot was taken.</param>
/// <param name="Seconds">How many one-second points each method has.</param>
/// <param name="Methods">Per method called: its totals since the host started, and one point a second.</param>
/// <param name="History">Restarts and state changes, oldest first.</param>
internal sealed record PluginActivity(string Plugin, DateTimeOffset Now, int Seconds, IReadOnlyList<MethodActivity> Methods, IReadOnlyList<PluginEvent> History);

/// <summary>One method's calls.</summary>
/// <param name="Method">"package.Service/Method".</param>
/// <param name="TotalCalls">Calls since the host started.</param>
/// <param name="TotalErrors">Calls that ended with a gRPC status other than OK.</param>
/// <param name="Points">One a second, oldest first.</param>
internal sealed record MethodActivity(string Method, long TotalCalls, long TotalErrors, IReadOnlyList<ActivityPoint> Points);

/// <summary>One second of a method's calls.</summary>
/// <param name="T">The second, in Unix seconds.</param>
/// <param name="Calls">Calls that ended in that second.</param>
/// <param name="Errors">Those that failed.</param>
/// <param name="P50Ms">The median latency, in milliseconds; null with no calls.</param>
/// <param name="P99Ms">The 99th percentile latency, in milliseconds; null with no calls.</param>
internal sealed record ActivityPoint(long T, long Calls, long Errors, double? P50Ms, double? P99Ms);

/// <summary>A restart or a change of state.</summary>
/// <param name="At">When it was seen.</param>
/// <param name="Kind">"restart" or "state".</param>
/// <param name="Detail">The restart's reason, or the new state.</param>
internal sealed record PluginEvent(DateTimeOffset At, string Kind, string Detail);
