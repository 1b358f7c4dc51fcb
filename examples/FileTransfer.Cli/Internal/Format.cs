using System.Globalization;

namespace FileTransfer.Cli.Internal;

/// <summary>How ft shows sizes and times to people.</summary>
internal static class Format
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

    /// <summary>A size in binary units, such as "3.0 MiB" or "512 B".</summary>
    /// <param name="bytes">The size in bytes.</param>
    /// <returns>The text.</returns>
    public static string Bytes(long bytes)
    {
        if (bytes < 1024)
        {
            return bytes.ToString(CultureInfo.InvariantCulture) + " B";
        }

        var value = (double)bytes;
        var unit = 0;
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return value.ToString("0.0", CultureInfo.InvariantCulture) + " " + Units[unit];
    }

    /// <summary>A size in binary units followed by the exact byte count, such as "3.0 MiB (3,145,728 bytes)".</summary>
    /// <param name="bytes">The size in bytes.</param>
    /// <returns>The text.</returns>
    public static string BytesExact(long bytes) =>
        bytes < 1024 ? Bytes(bytes) : $"{Bytes(bytes)} ({bytes.ToString("N0", CultureInfo.InvariantCulture)} bytes)";

    /// <summary>A point in time in the local zone, to the minute, or "-".</summary>
    /// <param name="time">The time.</param>
    /// <returns>The text.</returns>
    public static string Time(DateTimeOffset? time) =>
        time is { } value ? value.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "-";

    /// <summary>The first 12 characters of a digest, enough to tell files apart in a listing.</summary>
    /// <param name="sha256">The hex digest.</param>
    /// <returns>The short form.</returns>
    public static string ShortHash(string? sha256) =>
        string.IsNullOrEmpty(sha256) ? "-" : sha256.Length <= 12 ? sha256 : sha256[..12];

    /// <summary>A server address checked and cut to its canonical form: absolute http(s), no trailing slash.</summary>
    /// <param name="server">What the user gave.</param>
    /// <param name="source">Where it came from, for the message, such as "--server" or "FT_SERVER".</param>
    /// <returns>The address.</returns>
    /// <exception cref="CliError">It is not an http:// or https:// URL (a usage error).</exception>
    public static string ServerAddress(string server, string source = "--server")
    {
        var text = server.Trim();
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || !string.IsNullOrEmpty(uri.Query)
            || !string.IsNullOrEmpty(uri.Fragment))
        {
            throw CliError.Usage($"{source} '{server}' is not an http:// or https:// base URL such as {FtContext.DefaultServer}.");
        }

        return uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }
}
