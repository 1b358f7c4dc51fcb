using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// Inputs that used to be stored or crash the host: media types no download could carry, a plugin.json that is not
/// UTF-8, a package with duplicate entries, and JSON routes sent another content type. Each is a typed 4xx answer
/// (and exit 5 from the tool), never a 500 or an unexpected-exception exit.
/// </summary>
public sealed class RequestValidationTests(SharedHost shared) : IClassFixture<SharedHost>
{
    private static string ToolDll => Path.Combine(HostProcess.RepoRoot, "src", "GrpcPlugins.Cli", "bin", HostProcess.Configuration, "net10.0", "grpcplugins.dll");

    [Theory]
    [InlineData("text/plain\r\nX-Injected: 1")]
    [InlineData("text/plain\u0000")]
    [InlineData("t\u00e9xt/plain")]
    [InlineData("not a media type")]
    public async Task CreateUpload_MediaTypeNoDownloadCouldCarry_400NothingStaged(string mimeType)
    {
        var host = shared.Host;
        using var client = host.Client(await host.LoginAsync());

        using var response = await client.PostAsJsonAsync("/v1/uploads", new { name = "bad-type.txt", size = 3, mimeType });
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_argument", problem.GetProperty("code").GetString());
        Assert.Contains("media type", problem.GetProperty("message").GetString());
        var uploads = Path.Combine(host.DataDir, "uploads");
        Assert.True(!Directory.Exists(uploads) || Directory.GetFiles(uploads).Length == 0);
    }

    [Fact]
    public async Task Get_StoredMediaTypeUnsendable_ServedAsOctetStreamWithTheBytes()
    {
        var dataDir = Directory.CreateTempSubdirectory("ft-mime-").FullName;
        string id;
        await using (var host = await HostProcess.StartAsync(dataDir))
        {
            using var client = host.Client(await host.LoginAsync());
            id = (await IdempotentUploadTests.PutAsync(client, "old.bin", seed: 4, key: null)).Id;
        }

        // A file stored before media types were checked: its stored type cannot be a header.
        using (var db = new SqliteConnection($"Data Source={Path.Combine(dataDir, "files", "metadata.db")};Pooling=false"))
        {
            db.Open();
            using var update = db.CreateCommand();
            update.CommandText = "UPDATE objects SET mime_type = 'text/plain' || char(13) || char(10) || 'X-Injected: 1' WHERE id = $id";
            update.Parameters.AddWithValue("$id", id);
            Assert.Equal(1, update.ExecuteNonQuery());
        }

        await using var restarted = await HostProcess.StartAsync(dataDir);
        using var again = restarted.Client(await restarted.LoginAsync());
        using var download = await again.GetAsync($"/v1/files/{id}");

        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("application/octet-stream", download.Content.Headers.ContentType?.MediaType);
        Assert.False(download.Headers.Contains("X-Injected"));
        Assert.Equal(Payload.Sha256Of(200 * 1024, 4), await Payload.Sha256Async(await download.Content.ReadAsStreamAsync()));
    }

    [Fact]
    public async Task JsonRoutes_AnotherContentType_415()
    {
        var host = shared.Host;
        using var client = host.Client(await host.LoginAsync());

        using var upload = await client.PostAsync("/v1/uploads", new StringContent("{\"name\":\"a.txt\",\"size\":1}", Encoding.UTF8, "text/plain"));
        using var login = await host.Http.PostAsync("/v1/auth/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = "admin" }));
        using var status = await client.PutAsync("/v1/plugins/audit", new StringContent("{\"status\":\"stopped\"}", Encoding.UTF8, "text/plain"));

        foreach (var response in new[] { upload, login, status })
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{response.RequestMessage!.RequestUri}: {(int)response.StatusCode} {text}");
            Assert.Contains("application/json", JsonDocument.Parse(text).RootElement.GetProperty("message").GetString());
        }
    }

    [Fact]
    public async Task InstallApiAndTool_PluginJsonNotUtf8_400AndExit5()
    {
        var work = Directory.CreateTempSubdirectory("ft-badpkg-").FullName;
        var package = Path.Combine(work, "latin1.zip");
        // "café" in Latin-1: the lone byte 0xE9 inside a JSON string.
        WriteZip(package, ("plugin.json", Encoding.Latin1.GetBytes("{\"name\": \"caf\u00e9\", \"version\": \"1.0.0\"}")));

        await AssertRefusedAsync(work, package, "UTF-8");
    }

    [Fact]
    public async Task InstallApiAndTool_DuplicateEntries_400AndExit5()
    {
        var work = Directory.CreateTempSubdirectory("ft-badpkg-").FullName;
        var package = Path.Combine(work, "twice.zip");
        WriteZip(package, ("plugin.json", "{}"u8.ToArray()), ("lib/a.dll", [1]), ("lib/a.dll", [2]));

        await AssertRefusedAsync(work, package, "twice");
    }

    private async Task AssertRefusedAsync(string work, string package, string words)
    {
        var host = shared.Host;
        using var admin = host.Client(await host.LoginAsync());
        var content = new ByteArrayContent(await File.ReadAllBytesAsync(package));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");

        using var upload = await admin.PostAsync("/v1/plugins/upload", content);
        var text = await upload.Content.ReadAsStringAsync();
        var env = new Dictionary<string, string?> { ["GRPCPLUGINS_HOST"] = null, ["GRPCPLUGINS_TOKEN"] = null, ["GRPCPLUGINS_DIR"] = null };
        var verify = await FtCli.RunDllAsync(ToolDll, ["verify", package, "--plugins-dir", "plugins"], work, env);
        var install = await FtCli.RunDllAsync(ToolDll, ["install", package, "--plugins-dir", "plugins"], work, env);

        Assert.True(upload.StatusCode == HttpStatusCode.BadRequest, $"{(int)upload.StatusCode} {text}");
        Assert.Contains(words, JsonDocument.Parse(text).RootElement.GetProperty("message").GetString());
        Assert.True(verify.ExitCode == 5, verify.ToString());
        Assert.Contains(words, verify.Stderr);
        Assert.True(install.ExitCode == 5, install.ToString());
        Assert.Contains(words, install.Stderr);
    }

    private static void WriteZip(string path, params (string Name, byte[] Content)[] entries)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, content) in entries)
        {
            using var stream = zip.CreateEntry(name).Open();
            stream.Write(content);
        }
    }
}
