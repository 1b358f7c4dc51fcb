using System.Security.Claims;
using GrpcPlugins.Http.V1;
using Microsoft.AspNetCore.Http;

namespace GrpcPlugins.AspNetCore.Internal;

/// <summary>Builds request heads and applies plugin headers, for routes and middleware alike.</summary>
internal static class HttpHeads
{
    // Hop-by-hop headers belong to one connection; a plugin's response cannot set them on the host's.
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer",
    };

    public static string? UserId(HttpContext context) =>
        context.User.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? context.User.Identity?.Name;

    public static RequestHead Build(HttpContext context)
    {
        var request = context.Request;
        var head = new RequestHead
        {
            Method = request.Method,
            Path = request.PathBase.Add(request.Path).ToString(),
            Query = request.QueryString.ToString(),
            UserId = UserId(context) ?? string.Empty,
            RequestId = context.TraceIdentifier ?? string.Empty,
        };
        head.Roles.Add(context.User.FindAll(ClaimTypes.Role).Select(c => c.Value));
        foreach (var header in request.Headers)
        {
            foreach (var value in header.Value)
            {
                head.Headers.Add(new Header { Name = header.Key, Value = value ?? string.Empty });
            }
        }

        return head;
    }

    public static bool IsValidStatus(int status) => status is >= 100 and <= 599;

    public static void CopyTo(IEnumerable<Header> headers, IHeaderDictionary target)
    {
        foreach (var group in headers.GroupBy(h => h.Name, StringComparer.OrdinalIgnoreCase))
        {
            if (string.IsNullOrEmpty(group.Key) || HopByHop.Contains(group.Key))
            {
                continue;
            }

            target[group.Key] = group.Select(h => h.Value).ToArray();
        }
    }

    public static IResult Problem(int status, string title, string detail) => Results.Problem(statusCode: status, title: title, detail: detail);
}
