namespace ContentScanner.Internal;

/// <summary>
/// The EICAR anti-virus test file (eicar.org): a harmless file that every scanner detects as if it were a virus, so
/// that scanning can be tested without real malware. Its specification: the file starts with the 68-byte string,
/// which may be followed only by whitespace (space, tab, LF, CR, Ctrl-Z), and is at most 128 bytes long. The same
/// string inside a larger file is not the test file.
/// </summary>
internal static class Eicar
{
    /// <summary>The longest the test file may be, whitespace included.</summary>
    public const int MaxFileLength = 128;

    /// <summary>The name scanners report it by.</summary>
    public const string ThreatName = "EICAR-Test-File";

    /// <summary>The 68-byte test string.</summary>
    public static ReadOnlySpan<byte> Signature => "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"u8;

    /// <summary>Whether a whole file is the test file.</summary>
    /// <param name="content">The whole content.</param>
    /// <returns>True for the test file.</returns>
    public static bool IsTestFile(ReadOnlySpan<byte> content)
    {
        if (content.Length > MaxFileLength || !content.StartsWith(Signature))
        {
            return false;
        }

        foreach (var b in content[Signature.Length..])
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x1A))
            {
                return false;
            }
        }

        return true;
    }
}
