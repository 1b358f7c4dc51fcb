using GrpcPlugins;

namespace FileTransfer.Host.Http;

/// <summary>
/// A request this host refuses by itself, before or without asking a plugin: answered with <see cref="Status"/> and a
/// problem body whose code is <see cref="Code"/>. Failures of plugins stay <see cref="PluginException"/>s.
/// </summary>
/// <param name="status">The HTTP status code.</param>
/// <param name="code">The problem's code, snake_case as every problem body's, such as "invalid_argument".</param>
/// <param name="message">What was wrong and how to fix it.</param>
public class ApiException(int status, string code, string message) : Exception(message)
{
    /// <summary>The HTTP status code.</summary>
    public int Status { get; } = status;

    /// <summary>The problem's code, such as "not_found".</summary>
    public string Code { get; } = code;

    /// <summary>A request that cannot be used as sent (400 invalid_argument).</summary>
    /// <param name="message">What was wrong and how to fix it.</param>
    /// <returns>The error, to throw.</returns>
    public static ApiException BadRequest(string message) => For(PluginErrorCode.InvalidArgument, message);

    /// <summary>A request for something this host does not have (404 not_found).</summary>
    /// <param name="message">What was not found and where to look.</param>
    /// <returns>The error, to throw.</returns>
    public static ApiException NotFound(string message) => For(PluginErrorCode.NotFound, message);

    /// <summary>An error answered as the plugin error code of the same name would be, so that codes mean one thing across the API.</summary>
    /// <param name="code">The code whose status and name the answer takes.</param>
    /// <param name="message">What was wrong and how to fix it.</param>
    /// <returns>The error, to throw.</returns>
    public static ApiException For(PluginErrorCode code, string message) => new(ApiErrors.StatusFor(code), ApiErrors.CodeName(code), message);
}
