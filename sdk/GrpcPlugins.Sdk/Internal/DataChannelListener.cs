using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using GrpcPlugins.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GrpcPlugins.Sdk.Internal;

/// <summary>
/// The plugin's data channel: a second Unix socket, beside the gRPC one in the same private folder, on which the host
/// sends or receives the raw bytes of Store and Retrieve. Each connection begins with a token; the gRPC call that the
/// bytes belong to names the same token in its <see cref="PluginProtocol.DataChannelHeader"/> header, and
/// <see cref="TakeAsync"/> pairs the two.
/// </summary>
/// <param name="path">Where to listen; null when the plugin offers no data channel (TCP, AutoMTLS, or not a storage plugin).</param>
/// <param name="logger">Logs connections that never say who they are.</param>
internal sealed class DataChannelListener(string? path, ILogger<DataChannelListener> logger) : IHostedService, IDisposable
{
    // How long a connection and its call wait for each other: the host connects first, then calls at once.
    private static readonly TimeSpan PairingTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan TokenTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, TaskCompletionSource<Socket>> _waiting = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _listener;

    /// <summary>The socket's path once it listens; null when the plugin offers no data channel.</summary>
    public string? Path => _listener is null ? null : path;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (path is null)
        {
            return Task.CompletedTask;
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        listener.Listen(128);
        _listener = listener;
        _ = AcceptAsync(listener);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Waits for the connection that sent <paramref name="token"/>, and hands it to the caller, who then owns it.</summary>
    /// <exception cref="PluginException">No such connection came in time (InvalidArgument).</exception>
    public async Task<Socket> TakeAsync(string token, CancellationToken cancellationToken)
    {
        var waiting = _waiting.GetOrAdd(token, NewWaiter);
        Socket? connection = null;
        try
        {
            connection = await waiting.Task.WaitAsync(PairingTimeout, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (TimeoutException)
        {
            throw new PluginException(
                PluginErrorCode.InvalidArgument,
                $"The call named data-channel token {token}, but no connection with that token reached {path} within {PairingTimeout.TotalSeconds:0} s. Connect and send the token before making the call, or send the content as chunk messages.")
            {
                ErrorSource = PluginErrorSource.Host,
            };
        }
        finally
        {
            if (_waiting.TryRemove(KeyValuePair.Create(token, waiting)) && connection is null && waiting.Task.IsCompletedSuccessfully)
            {
                // The connection came just as the call gave up (timed out or cancelled): nobody else will close it.
                waiting.Task.Result.Dispose();
            }
        }
    }

    public void Dispose()
    {
        if (!_stopping.IsCancellationRequested)
        {
            _stopping.Cancel();
        }

        _listener?.Dispose();
        foreach (var waiting in _waiting.Values)
        {
            if (waiting.Task.IsCompletedSuccessfully)
            {
                waiting.Task.Result.Dispose();
            }
        }
    }

    private static TaskCompletionSource<Socket> NewWaiter(string token) => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task AcceptAsync(Socket listener)
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = PairAsync(connection);
        }
    }

    private async Task PairAsync(Socket connection)
    {
        var token = await ReadTokenAsync(connection).ConfigureAwait(false);
        if (token is null)
        {
            connection.Dispose();
            return;
        }

        var waiting = _waiting.GetOrAdd(token, NewWaiter);
        if (!waiting.TrySetResult(connection))
        {
            SdkLog.DataChannelRefused(logger, "a second connection sent a token already in use");
            connection.Dispose();
            return;
        }

        // A connection whose call never comes is closed, rather than held for ever.
        try
        {
            await Task.Delay(PairingTimeout, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        if (_waiting.TryRemove(KeyValuePair.Create(token, waiting)))
        {
            connection.Dispose();
        }
    }

    private async Task<string?> ReadTokenAsync(Socket connection)
    {
        var bytes = new byte[PluginProtocol.DataChannelTokenLength];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(TokenTimeout);
        try
        {
            var filled = 0;
            while (filled < bytes.Length)
            {
                var read = await connection.ReceiveAsync(bytes.AsMemory(filled), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    SdkLog.DataChannelRefused(logger, $"the connection closed after {filled} of the token's {bytes.Length} bytes");
                    return null;
                }

                filled += read;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException)
        {
            SdkLog.DataChannelRefused(logger, $"no token within {TokenTimeout.TotalSeconds:0} s ({ex.GetType().Name})");
            return null;
        }

        var token = Encoding.ASCII.GetString(bytes);
        if (!DataChannelToken.IsValid(token))
        {
            SdkLog.DataChannelRefused(logger, "its first bytes were not a token of 32 lowercase hex digits");
            return null;
        }

        return token;
    }
}
