using GrpcPlugins.Http.V1;

namespace GrpcPlugins.Sdk;

/// <summary>An HTTP request as a route plugin sees it: the head the host sent, and the body as a stream.</summary>
public sealed class HttpPluginRequest
{
    internal HttpPluginRequest(RequestHead head, Stream body)
    {
        Head = head;
        Body = body;
    }

    /// <summary>The request head as the host sent it.</summary>
    public RequestHead Head { get; }

    /// <summary>The HTTP method, such as GET.</summary>
    public string Method => Head.Method;

    /// <summary>The request's full path.</summary>
    public string Path => Head.Path;

    /// <summary>The signed-in user's id, or null.</summary>
    public string? UserId => string.IsNullOrEmpty(Head.UserId) ? null : Head.UserId;

    /// <summary>The signed-in user's roles.</summary>
    public IReadOnlyList<string> Roles => Head.Roles;

    /// <summary>The value of a route template parameter, or null.</summary>
    /// <param name="name">The parameter's name.</param>
    /// <returns>The value.</returns>
    public string? RouteValue(string name) => Head.RouteValues.TryGetValue(name, out var value) ? value : null;

    /// <summary>The first value of a request header, or null.</summary>
    /// <param name="name">The header's name, in any case.</param>
    /// <returns>The value.</returns>
    public string? Header(string name) => Head.Headers.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase))?.Value;

    /// <summary>The request body, read as it arrives; it ends when the client's body ends.</summary>
    public Stream Body { get; }
}
