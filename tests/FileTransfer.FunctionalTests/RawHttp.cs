using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// HTTP/1.1 over one raw socket, so a test sees exactly what happens on one keep-alive connection (HttpClient would
/// quietly retry on a new one) and can reset a connection mid-request.
/// </summary>
internal sealed class RawHttp : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly string _token;
    private byte[] _buffered = [];

    private RawHttp(TcpClient tcp, string token)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _token = token;
    }

    public static async Task<RawHttp> ConnectAsync(HostProcess host, string token)
    {
        var uri = new Uri(host.BaseUrl);
        var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port).WaitAsync(HostProcess.Timeout);
        return new RawHttp(tcp, token);
    }

    public async Task SendHeadAsync(string method, string path, long? contentLength = null)
    {
        var head = new StringBuilder($"{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {_token}\r\n");
        if (contentLength is { } length)
        {
            head.Append(CultureInfo.InvariantCulture, $"Content-Length: {length}\r\nContent-Type: application/octet-stream\r\n");
        }

        head.Append("\r\n");
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString())).AsTask().WaitAsync(HostProcess.Timeout);
    }

    public Task SendBodyAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask().WaitAsync(HostProcess.Timeout);

    /// <summary>Reads one response: its status (null when the connection closed first), and as much body as arrived.</summary>
    public async Task<(int? Status, byte[] Body, bool Complete)> ReadResponseAsync()
    {
        using var timeout = new CancellationTokenSource(HostProcess.Timeout);
        var received = new MemoryStream();
        received.Write(_buffered);
        int headEnd;
        while ((headEnd = IndexOf(received.GetBuffer().AsSpan(0, (int)received.Length), "\r\n\r\n"u8)) < 0)
        {
            if (await ReadSomeAsync(received, timeout.Token) == 0)
            {
                return (null, [], false);
            }
        }

        var head = Encoding.ASCII.GetString(received.GetBuffer(), 0, headEnd);
        var status = int.Parse(head.Split(' ')[1], CultureInfo.InvariantCulture);
        var lengthLine = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        var length = lengthLine is null ? 0 : long.Parse(lengthLine["Content-Length:".Length..].Trim(), CultureInfo.InvariantCulture);
        var bodyStart = headEnd + 4;
        while (received.Length - bodyStart < length)
        {
            if (await ReadSomeAsync(received, timeout.Token) == 0)
            {
                return (status, received.ToArray()[bodyStart..], false);
            }
        }

        var all = received.ToArray();
        _buffered = all[(bodyStart + (int)length)..];
        return (status, all[bodyStart..(bodyStart + (int)length)], true);
    }

    /// <summary>Resets the connection (RST), as a client that gives up on its own upload does.</summary>
    public void Reset()
    {
        _tcp.Client.LingerState = new LingerOption(true, 0);
        _tcp.Client.Close();
    }

    public void Dispose() => _tcp.Dispose();

    private async Task<int> ReadSomeAsync(MemoryStream received, CancellationToken ct)
    {
        var chunk = new byte[65536];
        int read;
        try
        {
            read = await _stream.ReadAsync(chunk, ct);
        }
        catch (IOException)
        {
            return 0;
        }

        received.Write(chunk, 0, read);
        return read;
    }

    private static int IndexOf(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) => haystack.IndexOf(needle);
}
