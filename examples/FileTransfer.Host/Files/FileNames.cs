using System.Text;
using FileTransfer.Host.Http;

namespace FileTransfer.Host.Files;

/// <summary>Checks file names at the edge, so a bad one gets a 400 that says why before any plugin is called.</summary>
public static class FileNames
{
    /// <summary>The longest name, in UTF-8 bytes.</summary>
    public const int MaxBytes = 255;

    /// <summary>
    /// Turns a name taken from a URL segment into the name the client meant. Routing decodes every escape but
    /// <c>%2F</c>, which it leaves as is, so that is decoded here and the name is then refused as a path.
    /// </summary>
    /// <param name="segment">The route value.</param>
    /// <returns>The decoded name.</returns>
    public static string FromRoute(string segment) =>
        segment.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    /// <summary>Throws a 400 error for a name that is empty, too long, a path, or has control characters.</summary>
    /// <param name="name">The name to check.</param>
    /// <returns>The name.</returns>
    public static string Validate(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw ApiErrors.BadRequest("The file name is empty: put the name in the URL, as in PUT /v1/files/report.pdf.");
        }

        if (Encoding.UTF8.GetByteCount(name) > MaxBytes)
        {
            throw ApiErrors.BadRequest($"The file name is longer than {MaxBytes} bytes; use a shorter name.");
        }

        if (name is "." or ".." || name.IndexOfAny(['/', '\\']) >= 0)
        {
            throw ApiErrors.BadRequest($"The file name '{name}' is a path; names may not contain '/' or '\\' or be '.' or '..'.");
        }

        if (name.Any(char.IsControl))
        {
            throw ApiErrors.BadRequest("The file name contains control characters; use printable characters only.");
        }

        return name;
    }
}
