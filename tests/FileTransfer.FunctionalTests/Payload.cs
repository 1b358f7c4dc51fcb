using System.Security.Cryptography;
using GrpcPlugins.TestSupport;

namespace FileTransfer.FunctionalTests;

/// <summary>Large, reproducible content made on the fly, so no test data is stored in the repository.</summary>
internal sealed class Payload : ReadOnlyTestStream
{
    private readonly long _length;
    private readonly byte[] _block;
    private long _position;

    public Payload(long length, int seed)
    {
        _length = length;
        _block = new byte[64 * 1024 + 7];
        new Random(seed).NextBytes(_block);
    }

    public override long Length => _length;

    public override long Position { get => _position; set => throw new NotSupportedException(); }

    /// <summary>The bytes at [from, from + count) of the payload with this seed.</summary>
    public static byte[] Slice(long from, int count, int seed)
    {
        var block = new Payload(0, seed)._block;
        return [.. Enumerable.Range(0, count).Select(i => block[(from + i) % block.Length])];
    }

    public static string Sha256Of(long length, int seed)
    {
        using var payload = new Payload(length, seed);
        return Convert.ToHexStringLower(SHA256.HashData(payload));
    }

    public static async Task<string> Sha256Async(Stream stream)
    {
        using var sha = SHA256.Create();
        await using var hashing = new CryptoStream(Null, sha, CryptoStreamMode.Write);
        await stream.CopyToAsync(hashing);
        await hashing.FlushFinalBlockAsync();
        return Convert.ToHexStringLower(sha.Hash!);
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = (int)Math.Min(count, _length - _position);
        for (var i = 0; i < n; i++)
        {
            buffer[offset + i] = _block[(_position + i) % _block.Length];
        }

        _position += n;
        return n;
    }
}
