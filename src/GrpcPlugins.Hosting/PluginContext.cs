namespace GrpcPlugins.Hosting;

/// <summary>
/// The context the host sends with every plugin call made in its scope: the transfer, user and request a
/// call belongs to. It flows with async code like <see cref="System.Diagnostics.Activity.Current"/>.
/// </summary>
/// <param name="TransferId">The transfer the calls belong to, or null.</param>
/// <param name="UserId">The user on whose behalf the calls are made, or null.</param>
/// <param name="RequestId">The request that caused the calls, or null.</param>
public sealed record PluginContext(string? TransferId = null, string? UserId = null, string? RequestId = null)
{
    private static readonly AsyncLocal<PluginContext?> CurrentContext = new();

    /// <summary>The context of the current async flow, or null.</summary>
    public static PluginContext? Current => CurrentContext.Value;

    /// <summary>
    /// Makes <paramref name="context"/> current until the returned scope is disposed. Values it leaves null
    /// are taken from the context that was current, so scopes nest: a transfer inside a request keeps the request id.
    /// </summary>
    /// <param name="context">The values to send.</param>
    /// <returns>A scope that restores the previous context when disposed.</returns>
    public static IDisposable Begin(PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var previous = CurrentContext.Value;
        CurrentContext.Value = previous is null
            ? context
            : new PluginContext(context.TransferId ?? previous.TransferId, context.UserId ?? previous.UserId, context.RequestId ?? previous.RequestId);
        return new Scope(previous);
    }

    private sealed class Scope(PluginContext? previous) : IDisposable
    {
        public void Dispose() => CurrentContext.Value = previous;
    }
}
