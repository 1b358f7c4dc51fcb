using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace UsersFileAuth.Internal;

/// <summary>
/// Hashes and verifies passwords as <c>pbkdf2-sha256$&lt;iterations&gt;$&lt;salt base64&gt;$&lt;hash base64&gt;</c>.
/// </summary>
internal static class PasswordHasher
{
    /// <summary>The scheme name at the start of every encoded hash.</summary>
    public const string Scheme = "pbkdf2-sha256";

    /// <summary>Iterations for new hashes: OWASP's 2023 figure for PBKDF2-HMAC-SHA256.</summary>
    public const int DefaultIterations = 600_000;

    /// <summary>The fewest iterations a stored hash may use; weaker hashes are refused when the users file loads.</summary>
    public const int MinimumIterations = 210_000;

    // A stored hash with absurd iterations would let whoever edits the file stall every login.
    private const int MaximumIterations = 10_000_000;
    private const int SaltSize = 16;
    private const int HashSize = 32;

    // Unknown users are checked against this so that they cost as much time as a wrong password.
    private static readonly Lazy<string> DummyHash = new(() => Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))));

    /// <summary>Hashes a password with a new random salt.</summary>
    public static string Hash(string password, int iterations = DefaultIterations)
    {
        ArgumentException.ThrowIfNullOrEmpty(password);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, MinimumIterations);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iterations, MaximumIterations);
        var salt = RandomNumberGenerator.GetBytes(SaltSize);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashSize);
        return string.Join('$', Scheme, iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }

    /// <summary>
    /// Checks a password against an encoded hash in constant time. A hash that cannot be parsed never matches.
    /// </summary>
    public static bool Verify(string password, string encodedHash)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(encodedHash);
        if (!TryParse(encodedHash, out var iterations, out var salt, out var expected, out _))
        {
            return false;
        }

        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>Spends the time of one verification and returns false, for a user who does not exist.</summary>
    public static bool VerifyAgainstDummy(string password)
    {
        _ = Verify(password, DummyHash.Value);
        return false;
    }

    /// <summary>Checks that an encoded hash is well formed and strong enough, and says why not.</summary>
    public static bool IsValid(string encodedHash, out string problem) =>
        TryParse(encodedHash, out _, out _, out _, out problem);

    private static bool TryParse(string encodedHash, out int iterations, out byte[] salt, out byte[] hash, out string problem)
    {
        iterations = 0;
        salt = [];
        hash = [];
        var parts = encodedHash.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme)
        {
            problem = $"it is not of the form {Scheme}$<iterations>$<salt base64>$<hash base64>";
            return false;
        }

        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out iterations)
            || iterations < MinimumIterations || iterations > MaximumIterations)
        {
            problem = $"its iteration count '{parts[1]}' is not between {MinimumIterations} and {MaximumIterations}";
            return false;
        }

        try
        {
            salt = Convert.FromBase64String(parts[2]);
            hash = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            problem = "its salt or hash is not valid base64";
            return false;
        }

        if (salt.Length < 8 || hash.Length < 16)
        {
            problem = "its salt or hash is too short";
            return false;
        }

        problem = string.Empty;
        return true;
    }
}
