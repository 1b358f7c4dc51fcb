using System.Globalization;
using System.Security.Cryptography;

namespace GrpcPlugins.Hosting.Internal;

/// <summary>Checksum pinning of a plugin's file, as go-plugin's SecureConfig: <c>sha256:&lt;hex&gt;</c>.</summary>
internal static class PluginChecksum
{
    private const string Prefix = "sha256:";

    public static bool TryParse(string text, out byte[] hash)
    {
        hash = [];
        if (!text.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var hex = text.AsSpan(Prefix.Length).Trim();
        if (hex.Length != SHA256.HashSizeInBytes * 2)
        {
            return false;
        }

        foreach (var c in hex)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        hash = Convert.FromHexString(hex);
        return true;
    }

    /// <summary>Refuses to go on when the file's SHA-256 is not the pinned one.</summary>
    public static void Verify(PluginOptions plugin, string path)
    {
        if (string.IsNullOrEmpty(plugin.Checksum))
        {
            return;
        }

        if (!TryParse(plugin.Checksum, out var expected))
        {
            throw Refused(plugin, $"its Checksum '{plugin.Checksum}' is not 'sha256:' followed by 64 hex digits.");
        }

        byte[] actual;
        try
        {
            using var file = File.OpenRead(path);
            actual = SHA256.HashData(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Refused(plugin, $"its file '{path}' cannot be read to check its Checksum ({ex.Message}).");
        }

        if (!CryptographicOperations.FixedTimeEquals(expected, actual))
        {
            throw Refused(plugin, string.Create(
                CultureInfo.InvariantCulture,
                $"'{path}' has checksum sha256:{Convert.ToHexStringLower(actual)}, but sha256:{Convert.ToHexStringLower(expected)} is expected. The file is not the one that was pinned: reinstall the plugin, or, if this build is trusted, set its Checksum to the new value."));
        }
    }

    private static PluginException Refused(PluginOptions plugin, string why) =>
        PluginException.FromHost(PluginErrorCode.FailedPrecondition, $"Refusing to start plugin '{plugin.Name}': {why}", plugin.Name);
}
