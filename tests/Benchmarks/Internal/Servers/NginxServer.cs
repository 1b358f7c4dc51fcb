using System.Diagnostics;

namespace GrpcPlugins.Benchmarks.Internal.Servers;

/// <summary>
/// Debian's nginx on loopback with a config of its own in a temp folder: the same bearer token checked in its config,
/// PUT through the dav module (a temp file renamed into place, no fsync, no hash), GET served from disk with sendfile.
/// </summary>
internal static class NginxServer
{
    private const string Binary = "/usr/sbin/nginx";

    /// <summary>
    /// Starts nginx; installs Debian's nginx first when it is missing, except in the smoke run, which skips it. Returns
    /// null, having noted why in the report, when there is no nginx to run.
    /// </summary>
    public static async Task<ServerUnderTest?> StartAsync(string folder, string token, bool install, Report report)
    {
        if (!File.Exists(Binary))
        {
            if (!install)
            {
                report.Note($"nginx: not measured, {Binary} is missing (tests/run-all.sh installs Debian's nginx; the smoke run does not install it itself).");
                return null;
            }

            var error = await AptInstallAsync();
            if (error is not null)
            {
                report.Note($"nginx: not measured, `apt-get install nginx` failed: {error}");
                return null;
            }
        }

        var root = Directory.CreateDirectory(Path.Combine(folder, "nginx")).FullName;
        var files = Directory.CreateDirectory(Path.Combine(root, "www", "v1", "files")).FullName;
        var temp = Directory.CreateDirectory(Path.Combine(root, "temp")).FullName;
        var asRoot = Environment.UserName == "root";
        if (asRoot && !OperatingSystem.IsWindows())
        {
            // Its workers run as nobody (nginx refuses to keep root for them unless told); they write the files and temps.
            foreach (var dir in new[] { root, Path.Combine(root, "www"), Path.Combine(root, "www", "v1"), files, temp })
            {
                File.SetUnixFileMode(dir, (UnixFileMode)0x1FF);
            }
        }

        var port = Ports.Free();
        var config = Path.Combine(root, "nginx.conf");
        await File.WriteAllTextAsync(config, $$"""
            {{(asRoot ? "user nobody nogroup;" : string.Empty)}}
            worker_processes auto;
            pid {{root}}/nginx.pid;
            error_log {{root}}/error.log warn;
            events { worker_connections 1024; }
            http {
                access_log off;
                sendfile on;
                tcp_nopush on;
                client_body_temp_path {{temp}}/body;
                proxy_temp_path {{temp}}/proxy;
                fastcgi_temp_path {{temp}}/fastcgi;
                uwsgi_temp_path {{temp}}/uwsgi;
                scgi_temp_path {{temp}}/scgi;
                server {
                    listen 127.0.0.1:{{port}};
                    root {{root}}/www;
                    location /v1/files/ {
                        if ($http_authorization != "Bearer {{token}}") { return 401; }
                        dav_methods PUT;
                        create_full_put_path on;
                        client_max_body_size 0;
                        client_body_buffer_size 1m;
                    }
                }
            }
            """);

        var start = new ProcessStartInfo(Binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-p", root, "-c", config, "-e", Path.Combine(root, "error.log"), "-g", "daemon off; master_process on;" })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerUnderTest("nginx", new Uri($"http://127.0.0.1:{port}"), token, process, StopAsync: () => StopAsync(process), IdFromBody: false);
        try
        {
            await server.WaitUntilAnsweringAsync(TimeSpan.FromSeconds(30));
        }
        catch (InvalidOperationException e)
        {
            var log = Path.Combine(root, "error.log");
            report.Note($"nginx: not measured, it did not start: {e.Message} {(File.Exists(log) ? File.ReadAllText(log).Trim() : string.Empty)}");
            return null;
        }

        return server;
    }

    // SIGQUIT is nginx's graceful stop; its workers finish and the master exits.
    private static async Task StopAsync(Process process)
    {
        if (!process.HasExited)
        {
            using (var quit = Process.Start("kill", ["-QUIT", process.Id.ToString()]))
            {
                await quit.WaitForExitAsync();
            }

            try
            {
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    // As the go peer does (examples/plugins/debian-go.sh): apt-get as root, else through sudo.
    private static async Task<string?> AptInstallAsync()
    {
        var asRoot = Environment.UserName == "root";
        var start = new ProcessStartInfo(asRoot ? "apt-get" : "sudo") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (asRoot ? Array.Empty<string>() : ["apt-get"]).Concat(["install", "-y", "-qq", "nginx"]))
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var apt = Process.Start(start)!;
            var stderr = apt.StandardError.ReadToEndAsync();
            _ = apt.StandardOutput.ReadToEndAsync();
            await apt.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
            return apt.ExitCode == 0 ? null : $"exit {apt.ExitCode}: {(await stderr).Trim()}";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or TimeoutException)
        {
            return e.Message;
        }
    }
}
