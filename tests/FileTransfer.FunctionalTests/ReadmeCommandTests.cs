using System.Diagnostics;
using System.Net;

namespace FileTransfer.FunctionalTests;

/// <summary>The README's main-job command, run as a new user would, from an empty folder.</summary>
public sealed class ReadmeCommandTests
{
    [Fact]
    public async Task DotnetRunProject_FromEmptyFolder_ServesV1AndPrintsAdminPassword()
    {
        var folder = Directory.CreateTempSubdirectory("ft-readme-").FullName;
        var port = FreePort();
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in new[] { "run", "--project", Path.Combine(HostProcess.RepoRoot, "examples", "FileTransfer.Host"), "-c", HostProcess.Configuration, "--", "--urls", $"http://127.0.0.1:{port}" })
        {
            startInfo.ArgumentList.Add(arg);
        }

        startInfo.Environment.Remove("FT_ADMIN_PASSWORD");
        using var process = Process.Start(startInfo)!;
        var output = new List<string>();
        _ = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (output)
                {
                    output.Add(line);
                }
            }
        });
        _ = process.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            HttpStatusCode? status = null;
            while (status is null)
            {
                Assert.False(process.HasExited, string.Join('\n', output));
                try
                {
                    status = (await http.GetAsync("/v1/stats", deadline.Token)).StatusCode;
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(200, deadline.Token);
                }
            }

            Assert.Equal(HttpStatusCode.Unauthorized, status);
            Assert.True(Directory.Exists(Path.Combine(folder, "data")));
            lock (output)
            {
                // The password stands out: a box, with the password alone on its line; the users file it is about to
                // create is not warned about as missing.
                var banner = output.FindIndex(l => l.Contains("| First run: created user 'admin' with password", StringComparison.Ordinal));
                Assert.True(banner > 0, string.Join('\n', output));
                Assert.StartsWith("+---", output[banner - 1], StringComparison.Ordinal);
                Assert.Matches(@"^\|\s+\S{24}\s+\|$", output[banner + 2]);
                Assert.DoesNotContain(output, l => l.Contains("does not exist; starting with no users", StringComparison.Ordinal));
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
