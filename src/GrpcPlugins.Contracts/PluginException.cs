namespace GrpcPlugins;

/// <summary>
/// A failed plugin call, with a typed <see cref="Code"/>. Plugin authors throw it to
/// report an expected failure; hosts receive it for every failed call, whether the
/// plugin refused, the plugin died, or the deadline passed.
/// </summary>
public class PluginException : Exception
{
    private static readonly IReadOnlyDictionary<string, string> NoMetadata = new Dictionary<string, string>();

    /// <summary>Creates an error with a code and a message that says what happened and how to fix it.</summary>
    /// <param name="code">The typed reason.</param>
    /// <param name="message">What happened and how to fix it, for a person.</param>
    /// <param name="innerException">The underlying exception, if any; its message becomes <see cref="Cause"/>.</param>
    public PluginException(PluginErrorCode code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        Cause = innerException?.Message;
        ErrorSource = PluginErrorSource.Plugin;
        Retryable = code is PluginErrorCode.Unavailable or PluginErrorCode.Timeout;
    }

    /// <summary>The typed reason.</summary>
    public PluginErrorCode Code { get; }

    /// <summary>
    /// An error the host raised itself, not a plugin: a refused start, an unknown plugin, a full bulkhead. Every host-side
    /// error is made here, so each carries <see cref="PluginErrorSource.Host"/> and, where one is concerned, the plugin's name.
    /// </summary>
    /// <param name="code">The typed reason.</param>
    /// <param name="message">What happened and how to fix it, for a person.</param>
    /// <param name="pluginName">The plugin concerned, if any.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    /// <returns>The error, to throw.</returns>
    public static PluginException FromHost(PluginErrorCode code, string message, string? pluginName = null, Exception? innerException = null) =>
        new(code, message, innerException) { ErrorSource = PluginErrorSource.Host, PluginName = pluginName };

    /// <summary>The underlying error's text, if any. Defaults to the inner exception's message.</summary>
    public string? Cause { get; init; }

    /// <summary>Machine-readable facts about the error, such as the id that was not found. Defaults to empty.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = NoMetadata;

    /// <summary>Whose fault the error is. Defaults to <see cref="PluginErrorSource.Plugin"/>.</summary>
    public PluginErrorSource ErrorSource { get; init; }

    /// <summary>
    /// Whether the same call may succeed if tried again. Defaults to true for
    /// <see cref="PluginErrorCode.Unavailable"/> and <see cref="PluginErrorCode.Timeout"/>.
    /// </summary>
    public bool Retryable { get; init; }

    /// <summary>The name of the plugin that failed, when the host knows it.</summary>
    public string? PluginName { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        $"[{Code}] {Message}" + (string.IsNullOrEmpty(Cause) ? string.Empty : $": {Cause}");
}
