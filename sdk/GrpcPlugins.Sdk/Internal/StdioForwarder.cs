using System.Text;
using System.Threading.Channels;
using Google.Protobuf;
using GrpcPlugins.GoPlugin;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>
/// The plugin's <see cref="Console.Out"/>. Only the handshake may reach the real stdout, so what the author writes goes,
/// line by line, to the host that reads go-plugin's <c>plugin.GRPCStdio</c> while one does, and to stderr otherwise.
/// </summary>
internal sealed class StdioForwarder(TextWriter stderr) : TextWriter
{
    private readonly StringBuilder _line = new();
    private readonly object _gate = new();
    private Channel<StdioData>? _subscriber;

    public override Encoding Encoding => Encoding.UTF8;

    /// <summary>Takes the output over for one StreamStdio call until <paramref name="cancellationToken"/> ends it.</summary>
    public ChannelReader<StdioData> Subscribe(CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<StdioData>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_gate)
        {
            _subscriber?.Writer.TryComplete();
            _subscriber = channel;
        }

        cancellationToken.Register(() =>
        {
            lock (_gate)
            {
                if (_subscriber == channel)
                {
                    _subscriber = null;
                }
            }

            channel.Writer.TryComplete();
        });
        return channel.Reader;
    }

    public override void Write(char value)
    {
        lock (_gate)
        {
            if (value == '\n')
            {
                Emit();
            }
            else
            {
                _line.Append(value);
            }
        }
    }

    public override void Write(string? value)
    {
        if (value is null)
        {
            return;
        }

        lock (_gate)
        {
            foreach (var c in value)
            {
                if (c == '\n')
                {
                    Emit();
                }
                else
                {
                    _line.Append(c);
                }
            }
        }
    }

    public override void Flush()
    {
        lock (_gate)
        {
            stderr.Flush();
        }
    }

    // Called under the lock.
    private void Emit()
    {
        var line = _line.ToString().TrimEnd('\r');
        _line.Clear();
        if (_subscriber is { } subscriber
            && subscriber.Writer.TryWrite(new StdioData { Channel = StdioData.Types.Channel.Stdout, Data = ByteString.CopyFromUtf8(line + "\n") }))
        {
            return;
        }

        stderr.WriteLine(line);
    }
}
