using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace GrpcPlugins.TestSupport;

/// <summary>
/// A private PostgreSQL server for tests, from Debian's packages (<c>/usr/lib/postgresql/&lt;version&gt;/bin</c>): a new
/// cluster made by <c>initdb</c> in a temporary folder, served by <c>pg_ctl</c> on a free loopback port with its Unix
/// socket inside that folder, stopped with <c>pg_ctl stop -m fast</c> and deleted on dispose. <c>initdb</c> refuses to
/// run as root, so under root the cluster belongs to <c>nobody</c> and every server command runs through <c>setpriv</c>.
/// One per test assembly, as an xunit collection fixture (<see cref="PostgresCollection"/>); each test takes its own
/// database from <see cref="CreateDatabaseAsync"/>, so tests do not see each other's rows.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    /// <summary>How long one server command (initdb, start, stop) may take before the test fails.</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    private readonly string _folder = Directory.CreateTempSubdirectory("grpcplugins-pg-").FullName;
    private int _databases;

    /// <summary>The loopback port the server listens on; the same after a restart.</summary>
    public int Port { get; } = FreePort();

    private string DataDir => Path.Combine(_folder, "data");

    private string SocketDir => Path.Combine(_folder, "socket");

    private string LogFile => Path.Combine(_folder, "server.log");

    /// <summary>The server's log so far, for failure messages.</summary>
    public string Log => File.Exists(LogFile) ? ReadShared(LogFile) : string.Empty;

    /// <summary>A connection string for a database of this server (TCP on loopback, user postgres, no password).</summary>
    /// <param name="database">The database's name.</param>
    /// <returns>The connection string.</returns>
    public string ConnectionString(string database = "postgres") => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
        Timeout = 15,
    }.ConnectionString;

    /// <summary>Makes an empty database for one test and returns its connection string.</summary>
    /// <returns>The new database's connection string.</returns>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"test_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        // Unpooled: a test may have restarted the server, which ends every pooled connection.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString()) { Pooling = false }.ConnectionString);
        await connection.OpenAsync().WaitAsync(CommandTimeout);
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync().WaitAsync(CommandTimeout);
        return ConnectionString(name);
    }

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        var bin = FindBin();
        Directory.CreateDirectory(SocketDir);
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", ["-R", "nobody:nogroup", _folder]);
        }

        await ServerCommandAsync(Path.Combine(bin, "initdb"), "-D", DataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync");
        await StartAsync();
    }

    /// <summary>Starts the server (again, after <see cref="StopAsync"/>), waiting until it accepts connections.</summary>
    /// <returns>A task that completes once the server is up.</returns>
    public Task StartAsync() => ServerCommandAsync(
        Path.Combine(FindBin(), "pg_ctl"), "-D", DataDir, "-l", LogFile, "-w", "-t", "60",
        "-o", $"-p {Port} -k {SocketDir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start");

    /// <summary>Stops the server at once (<c>pg_ctl stop -m fast</c>: open sessions are ended, committed data is kept).</summary>
    /// <returns>A task that completes once the server has stopped.</returns>
    public Task StopAsync() => ServerCommandAsync(Path.Combine(FindBin(), "pg_ctl"), "-D", DataDir, "-w", "-t", "60", "-m", "fast", "stop");

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(DataDir, "postmaster.pid")))
            {
                await StopAsync();
            }
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static string FindBin()
    {
        const string root = "/usr/lib/postgresql";
        var bin = Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending(StringComparer.Ordinal).FirstOrDefault()
            : null;
        return bin ?? throw new InvalidOperationException(
            $"No PostgreSQL server programs under {root}/<version>/bin: install Debian's 'postgresql' package (tests/run-all.sh does).");
    }

    private Task ServerCommandAsync(string program, params string[] arguments) =>
        Environment.UserName == "root"
            ? RunAsync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", program, .. arguments])
            : RunAsync(program, arguments);

    private async Task RunAsync(string program, IEnumerable<string> arguments)
    {
        int exitCode;
        string stdout, stderr;
        try
        {
            (exitCode, stdout, stderr) = await ProcessRunner.RunAsync(program, arguments, CommandTimeout, _folder);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\n{Log}", ex);
        }

        if (exitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{program} {string.Join(' ', arguments)}' failed with exit code {exitCode}:\n{stdout}\n{stderr}\n{Log}");
        }
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
