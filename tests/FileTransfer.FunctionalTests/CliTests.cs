using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text.Json;

namespace FileTransfer.FunctionalTests;

/// <summary>The ft command-line client, built and run as a real process against real hosts.</summary>
public sealed class CliTests(SharedHost shared) : IClassFixture<SharedHost>
{
    [Fact]
    public async Task PutLsGet_AfterLogin_RoundTripsSameSha256()
    {
        // Arrange
        await using var host = await HostProcess.StartAsync();
        var ft = new FtCli();
        const long size = 3L * 1024 * 1024 + 17;
        var source = Path.Combine(ft.WorkDir, "report.bin");
        await using (var file = File.Create(source))
        {
            await new Payload(size, seed: 3).CopyToAsync(file).WaitAsync(HostProcess.Timeout);
        }

        var downloaded = Path.Combine(ft.WorkDir, "copy.bin");

        // Act
        var login = await ft.LoginAsync(host.BaseUrl);
        var put = await ft.RunAsync(["put", source, "--json"]);
        var id = JsonDocument.Parse(put.Stdout).RootElement.GetProperty("id").GetString()!;
        var table = await ft.RunAsync(["ls"]);
        var listed = await ft.RunAsync(["ls", "--json"]);
        var get = await ft.RunAsync(["get", id, "-o", downloaded]);
        var piped = await ft.RunAsync(["get", id, "-o", "-", "--quiet"]);

        // Assert
        Assert.True(login.ExitCode == 0, login.ToString());
        Assert.True(put.ExitCode == 0, put.ToString());
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("report.bin", table.Stdout);
        Assert.Contains(id, table.Stdout);
        var item = Assert.Single(JsonDocument.Parse(listed.Stdout).RootElement.EnumerateArray());
        Assert.Equal(id, item.GetProperty("id").GetString());
        Assert.Equal(size, item.GetProperty("size").GetInt64());
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Contains("verified", get.Stdout);
        Assert.Equal(Payload.Sha256Of(size, seed: 3), await Sha256OfFileAsync(downloaded));
        Assert.Empty(Directory.GetFiles(ft.WorkDir, "*.ft-part"));
        Assert.True(piped.ExitCode == 0, piped.ToString());
        Assert.Equal(Payload.Sha256Of(size, seed: 3), Convert.ToHexStringLower(SHA256.HashData(piped.StdoutBytes)));
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task Login_Succeeds_SessionFileIsOwnerOnly0600()
    {
        // Arrange
        var host = shared.Host;
        var ft = new FtCli();

        // Act
        var login = await ft.LoginAsync(host.BaseUrl);

        // Assert
        Assert.True(login.ExitCode == 0, login.ToString());
        Assert.True(File.Exists(ft.SessionFile), $"no session file at {ft.SessionFile}");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ft.SessionFile));
        Assert.Equal(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            File.GetUnixFileMode(Path.GetDirectoryName(ft.SessionFile)!));
        Assert.DoesNotContain(HostProcess.AdminPassword, await File.ReadAllTextAsync(ft.SessionFile));
    }

    [Fact]
    public async Task Get_AfterRm_ExitsNotFoundWithOneLine()
    {
        // Arrange
        var host = shared.Host;
        var ft = new FtCli();
        var source = Path.Combine(ft.WorkDir, "gone.txt");
        await File.WriteAllTextAsync(source, "soon gone");
        Assert.Equal(0, (await ft.LoginAsync(host.BaseUrl)).ExitCode);
        var put = await ft.RunAsync(["put", source, "--json"]);
        var id = JsonDocument.Parse(put.Stdout).RootElement.GetProperty("id").GetString()!;

        // Act
        var rm = await ft.RunAsync(["rm", id]);
        var get = await ft.RunAsync(["get", id]);

        // Assert
        Assert.True(rm.ExitCode == 0, rm.ToString());
        Assert.Equal(4, get.ExitCode);
        var line = Assert.Single(get.StderrLines);
        Assert.StartsWith("ft: not_found: ", line);
        Assert.Contains(id, line);
        Assert.False(File.Exists(Path.Combine(ft.WorkDir, id)));
        Assert.Empty(Directory.GetFiles(ft.WorkDir, "*.ft-part"));
    }

    [Fact]
    public async Task Login_WrongPassword_ExitsAuthWithOneLineAndSavesNothing()
    {
        // Arrange
        await using var host = await HostProcess.StartAsync();
        var ft = new FtCli();

        // Act
        var login = await ft.LoginAsync(host.BaseUrl, password: "not-the-password");

        // Assert
        Assert.Equal(3, login.ExitCode);
        var line = Assert.Single(login.StderrLines);
        Assert.StartsWith("ft: unauthenticated: ", line);
        Assert.False(File.Exists(ft.SessionFile));
    }

    [Fact]
    public async Task Login_UnreachableServer_SaysCannotReachAndHowToStartHost()
    {
        // Arrange
        var ft = new FtCli();
        var server = $"http://127.0.0.1:{FtCli.ClosedPort()}";

        // Act
        var login = await ft.LoginAsync(server);

        // Assert
        Assert.Equal(1, login.ExitCode);
        var line = Assert.Single(login.StderrLines);
        Assert.Equal($"ft: cannot reach {server}: is the host running? Start it with: dotnet run --project examples/FileTransfer.Host", line);
    }

    [Fact]
    public async Task Ls_NotLoggedIn_ExitsAuthAndSaysHowToLogIn()
    {
        // Arrange
        var ft = new FtCli();
        var server = $"http://127.0.0.1:{FtCli.ClosedPort()}";

        // Act
        var ls = await ft.RunAsync(["ls", "--server", server]);

        // Assert
        Assert.Equal(3, ls.ExitCode);
        Assert.Equal($"ft: not logged in to {server}: run ft login --server {server}", Assert.Single(ls.StderrLines));
    }

    [Fact]
    public async Task Get_BadCommandLine_ExitsUsageWithOneLine()
    {
        // Arrange
        var ft = new FtCli();

        // Act
        var get = await ft.RunAsync(["get"]);

        // Assert
        Assert.Equal(2, get.ExitCode);
        Assert.StartsWith("ft: ", Assert.Single(get.StderrLines));
    }

    [Fact]
    public async Task Send_AToB_LsOnBShowsFileWithSameSha256()
    {
        // Arrange
        await using var a = await HostProcess.StartAsync();
        await using var b = await HostProcess.StartAsync();
        var ft = new FtCli();
        const long size = 5L * 1024 * 1024;
        var source = Path.Combine(ft.WorkDir, "sent.bin");
        await using (var file = File.Create(source))
        {
            await new Payload(size, seed: 11).CopyToAsync(file).WaitAsync(HostProcess.Timeout);
        }

        // Logged in to B first, so send finds the destination token in the saved session; A is the current server.
        Assert.Equal(0, (await ft.LoginAsync(b.BaseUrl)).ExitCode);
        Assert.Equal(0, (await ft.LoginAsync(a.BaseUrl)).ExitCode);
        var put = await ft.RunAsync(["put", source, "--json"]);
        var id = JsonDocument.Parse(put.Stdout).RootElement.GetProperty("id").GetString()!;

        // Act
        var send = await ft.RunAsync(["send", id, "--to", b.BaseUrl]);
        var onB = await ft.RunAsync(["ls", "--server", b.BaseUrl, "--json"]);

        // Assert
        Assert.True(send.ExitCode == 0, send.ToString());
        Assert.Contains("completed", send.Stdout);
        Assert.True(onB.ExitCode == 0, onB.ToString());
        var received = Assert.Single(JsonDocument.Parse(onB.Stdout).RootElement.EnumerateArray());
        Assert.Equal("sent.bin", received.GetProperty("name").GetString());
        Assert.Equal(Payload.Sha256Of(size, seed: 11), received.GetProperty("sha256").GetString());
    }

    private static async Task<string> Sha256OfFileAsync(string path)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file).AsTask().WaitAsync(HostProcess.Timeout));
    }
}
