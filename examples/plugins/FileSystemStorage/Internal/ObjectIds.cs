using System.Security.Cryptography;

namespace FileSystemStorage.Internal;

/// <summary>Opaque object ids: 26 characters of base32 over 128 random bits, never derived from a name.</summary>
internal static class ObjectIds
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
    private const int Length = 26;

    public static string New()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        var chars = new char[Length];
        var bits = 0;
        var value = 0;
        var next = 0;
        foreach (var b in bytes)
        {
            value = (value << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                chars[next++] = Alphabet[(value >> (bits - 5)) & 31];
                bits -= 5;
            }
        }

        chars[next] = Alphabet[(value << (5 - bits)) & 31];
        return new string(chars);
    }

    /// <summary>Whether a caller's id could be one of ours; anything else can't name a file, so it is simply not found.</summary>
    public static bool IsWellFormed(string? id) => id is { Length: Length } && id.All(c => Alphabet.Contains(c));
}
