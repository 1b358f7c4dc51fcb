using System.Net;
using System.Text.Json;

namespace FileTransfer.Cli.Internal;

/// <summary>An error answer of the host, read from its problem JSON: status, typed code and message.</summary>
internal sealed class ProblemError : Exception
{
    // An error body is small; a proxy's HTML page is not worth reading whole.
    private const int MaxBodyChars = 16 * 1024;

    /// <summary>Creates the error.</summary>
    /// <param name="status">The HTTP status code.</param>
    /// <param name="code">The snake_case error code, such as "not_found".</param>
    /// <param name="message">The host's message for a person.</param>
    /// <param name="hint">What ft adds on how to go on, such as "run ft login", or null.</param>
    public ProblemError(int status, string code, string message, string? hint = null)
        : base(message)
    {
        Status = status;
        Code = code;
        Hint = hint;
    }

    /// <summary>The HTTP status code.</summary>
    public int Status { get; }

    /// <summary>The snake_case error code.</summary>
    public string Code { get; }

    /// <summary>What ft adds on how to go on, or null.</summary>
    public string? Hint { get; }

    /// <summary>The line printed after "ft: ", such as "not_found: No stored object has id 'x'.".</summary>
    public string DisplayText
    {
        get
        {
            var text = $"{Code}: {OneLine(Message)}";
            return Hint is null ? text : $"{text} ({Hint})";
        }
    }

    /// <summary>The exit code for this error's class: 3 for 401 and 403, 4 for 404, else 1.</summary>
    public int ExitCode => Status switch
    {
        (int)HttpStatusCode.Unauthorized or (int)HttpStatusCode.Forbidden => ExitCodes.Auth,
        (int)HttpStatusCode.NotFound => ExitCodes.NotFound,
        _ => ExitCodes.Failure,
    };

    /// <summary>The same error with a hint attached.</summary>
    /// <param name="hint">What to do next.</param>
    /// <returns>The error.</returns>
    public ProblemError WithHint(string hint) => new(Status, Code, Message, hint);

    /// <summary>Reads the problem JSON of a failed response; falls back to the status line when the body is not one.</summary>
    /// <param name="response">The failed response.</param>
    /// <param name="cancellationToken">Stops reading the body.</param>
    /// <returns>The error.</returns>
    public static async Task<ProblemError> FromResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var code = JsonNamingPolicy.SnakeCaseLower.ConvertName(response.StatusCode.ToString());
        var message = $"The server answered HTTP {status}" + (response.ReasonPhrase is { Length: > 0 } reason ? $" {reason}." : ".");
        try
        {
            var body = await ReadStartAsync(response.Content, cancellationToken).ConfigureAwait(false);
            if (body.Length > 0 && body.TrimStart().StartsWith('{'))
            {
                using var json = JsonDocument.Parse(body);
                var root = json.RootElement;
                code = GetString(root, "code") ?? code;
                message = GetString(root, "message") ?? GetString(root, "detail") ?? GetString(root, "title") ?? message;
            }
        }
        catch (Exception ex) when (ex is JsonException or IOException or HttpRequestException)
        {
            // The status line is still worth reporting when the body is broken.
        }

        return new ProblemError(status, code, message);
    }

    // A message that spans lines would break the one-line contract of ft's errors.
    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static async Task<string> ReadStartAsync(HttpContent content, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        var buffer = new char[MaxBodyChars];
        var read = await reader.ReadBlockAsync(buffer, cancellationToken).ConfigureAwait(false);
        return new string(buffer, 0, read);
    }

    private static string? GetString(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object
        && root.TryGetProperty(name, out var value)
        && value.ValueKind == JsonValueKind.String
        && value.GetString() is { Length: > 0 } text
            ? text
            : null;
}
