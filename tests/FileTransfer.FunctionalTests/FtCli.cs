using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FileTransfer.FunctionalTests;

/// <summary>What one run of ft left: its exit code, standard output as bytes and text, and standard error.</summary>
internal sealed record FtResult(int ExitCode, byte[] StdoutBytes, string Stderr)
{
    public string Stdout => System.Text.Encoding.UTF8.GetString(StdoutBytes);

    /// <summary>Standard error's lines, without empty ones.</summary>
    public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>Runs the real built ft (dotnet ft.dll) with its own config folder, as a user with a fresh home would.</summary>
internal sealed class FtCli
{
    public FtCli()
    {
        Home = Directory.CreateTempSubdirectory("ft-cli-home-").FullName;
        ConfigHome = Path.Combine(Home, "config");
        WorkDir = Directory.CreateDirectory(Path.Combine(Home, "work")).FullName;
    }

    public static string CliDll => Path.Combine(HostProcess.RepoRoot, "examples", "FileTransfer.Cli", "bin", HostProcess.Configuration, "net10.0", "ft.dll");

    public string Home { get; }

    /// <summary>$XDG_CONFIG_HOME of the runs.</summary>
    public string ConfigHome { get; }

    /// <summary>The current folder of the runs.</summary>
    public string WorkDir { get; }

    public string SessionFile => Path.Combine(ConfigHome, "grpcplugins-ft", "session.json");

    public Task<FtResult> LoginAsync(string server, string password = HostProcess.AdminPassword) =>
        RunAsync(["login", "--server", server, "--username", "admin", "--password-stdin"], stdin: password + "\n");

    public Task<FtResult> RunAsync(IEnumerable<string> args, string? stdin = null) =>
        RunDllAsync(CliDll, args, WorkDir, new Dictionary<string, string?> { ["HOME"] = Home, ["XDG_CONFIG_HOME"] = ConfigHome, ["FT_SERVER"] = null }, stdin);

    /// <summary>Runs a built .NET program (dotnet X.dll) to its end; a null environment value removes the variable.</summary>
    public static async Task<FtResult> RunDllAsync(string dll, IEnumerable<string> args, string workDir, IReadOnlyDictionary<string, string?> environment, string? stdin = null)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workDir,
        };
        startInfo.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        using var process = Process.Start(startInfo)!;
        var stdout = new MemoryStream();
        var copyOut = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var readErr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin).WaitAsync(HostProcess.Timeout);
        }

        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync().WaitAsync(HostProcess.Timeout);
            await copyOut.WaitAsync(HostProcess.Timeout);
            return new FtResult(process.ExitCode, stdout.ToArray(), await readErr.WaitAsync(HostProcess.Timeout));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    /// <summary>A loopback port with nobody listening on it.</summary>
    public static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
