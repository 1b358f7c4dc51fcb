using System.Diagnostics;
using System.Text;

namespace GrpcPlugins.TestSupport;

/// <summary>
/// A plugin started on its own as a remote service (GRPCPLUGINS_LISTEN), as an operator would run it: no host started it.
/// It prints its address on stdout; <see cref="Port"/> is read from that line. Killed on dispose.
/// </summary>
internal sealed class RemotePluginService : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private RemotePluginService(Process process)
    {
        _process = process;
    }

    public int Port { get; private set; }

    public int ProcessId => _process.Id;

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Starts <c>dotnet <paramref name="dll"/> <paramref name="args"/></c> listening on 127.0.0.1:<paramref name="port"/> (0: any).</summary>
    public static async Task<RemotePluginService> StartAsync(
        string dll, IEnumerable<string> args, TestCertificates certificates, (string Certificate, string Key, string Sha256) server, int port, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["GRPCPLUGINS_LISTEN"] = $"tcp://127.0.0.1:{port}";
        info.Environment["GRPCPLUGINS_TLS_CERT"] = server.Certificate;
        info.Environment["GRPCPLUGINS_TLS_KEY"] = server.Key;
        info.Environment["GRPCPLUGINS_TLS_CLIENT_CA"] = certificates.AuthorityFile;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info)!;
        var service = new RemotePluginService(process);
        process.ErrorDataReceived += (_, e) =>
        {
            lock (service._stderr)
            {
                service._stderr.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        string? line;
        try
        {
            line = await process.StandardOutput.ReadLineAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The remote plugin service did not print its address within {timeout}. Its stderr:{Environment.NewLine}{service.Stderr}");
        }

        if (line is null || line.Split('|') is not { Length: >= 4 } fields || !int.TryParse(fields[3][(fields[3].LastIndexOf(':') + 1)..], out var bound))
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(timeout);
            throw new InvalidOperationException($"The remote plugin service printed '{line}' instead of its address. Its stderr:{Environment.NewLine}{service.Stderr}");
        }

        // Its later stdout (log lines) is drained, or a chatty plugin would block on a full pipe.
        _ = process.StandardOutput.ReadToEndAsync();
        service.Port = bound;
        return service;
    }

    /// <summary>Kills the service (SIGKILL, as a crash) and waits until it is gone.</summary>
    public async Task KillAsync(TimeSpan timeout)
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(timeout);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        _process.Dispose();
    }
}
