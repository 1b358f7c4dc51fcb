using System.Security.Cryptography;
using GrpcPlugins;
using GrpcPlugins.Hosting;
using GrpcPlugins.Plugin.V1;
using GrpcPlugins.Storage.V1;
using GrpcPlugins.TestSupport;

namespace FileSystemStorage.Tests;

/// <summary>Launches the built FileSystemStorage plugin as a real process, and small helpers around its client.</summary>
internal static class StoragePlugin
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>"Debug" or "Release", the same as this test assembly's.</summary>
    private static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>The plugin's own build output, with its deps.json and runtimeconfig.json beside it.</summary>
    public static string Dll { get; } = Path.Combine(FindRepoRoot(), "examples", "plugins", "FileSystemStorage", "bin", Configuration, "net10.0", "FileSystemStorage.dll");

    public static PluginOptions Options(string? root, Dictionary<string, string>? extra = null)
    {
        var config = new Dictionary<string, string>(extra ?? []);
        if (root is not null)
        {
            config["root"] = root;
        }

        return new PluginOptions
        {
            Name = "fs-storage",
            Type = PluginType.Storage,
            Command = Dll,
            Config = config,
            StartTimeout = TimeSpan.FromMinutes(1),
        };
    }

    public static Task<PluginClient> StartAsync(string? root, Dictionary<string, string>? extra = null) =>
        PluginClient.StartAsync(Options(root, extra)).WaitAsync(Timeout);

    public static Task<StoreResponse> StoreAsync(this IStoragePlugin storage, string name, byte[] content) =>
        storage.StoreAsync(new ObjectMetadata { Name = name }, new MemoryStream(content)).WaitAsync(Timeout);

    public static async Task<(ObjectMetadata Metadata, byte[] Content)> ReadAsync(this IStoragePlugin storage, string id, long offset = 0, long length = 0)
    {
        await using var download = await storage.RetrieveAsync(id, offset, length).WaitAsync(Timeout);
        using var buffer = new MemoryStream();
        await download.Content.CopyToAsync(buffer).WaitAsync(Timeout);
        return (download.Metadata, buffer.ToArray());
    }

    /// <summary>Runs a call that must fail and returns the typed code the caller sees.</summary>
    public static async Task<PluginException> FailsAsync(Func<Task> call)
    {
        return await Assert.ThrowsAsync<PluginException>(() => call().WaitAsync(Timeout));
    }

    public static string Sha256Hex(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>Every file under a folder, as paths relative to it.</summary>
    public static string[] FilesUnder(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f)).Order(StringComparer.Ordinal).ToArray();

    /// <summary>The files this test process (the host) has open under a folder, from /proc/self/fd.</summary>
    public static string[] DescriptorsUnder(string folder) =>
        [.. Directory.EnumerateFileSystemEntries("/proc/self/fd")
            .Select(fd => new FileInfo(fd).LinkTarget)
            .OfType<string>()
            .Where(target => target.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Distinct()];

    /// <summary>Waits until <paramref name="condition"/> holds, failing after <see cref="Timeout"/>.</summary>
    public static async Task WaitForAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (!condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GrpcPlugins.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Could not find GrpcPlugins.sln above " + AppContext.BaseDirectory);
    }
}

/// <summary>A fresh folder under the temp folder, removed when disposed. The storage root is a child of it, so tests can see anything written beside the root.</summary>
internal sealed class Sandbox : IDisposable
{
    public Sandbox()
    {
        Path = Directory.CreateTempSubdirectory("fsstorage-tests-").FullName;
        Root = System.IO.Path.Combine(Path, "root");
    }

    /// <summary>The sandbox folder, the parent of <see cref="Root"/>.</summary>
    public string Path { get; }

    /// <summary>The storage root given to the plugin (created by the plugin).</summary>
    public string Root { get; }

    public string Objects => System.IO.Path.Combine(Root, "objects");

    public string Temp => System.IO.Path.Combine(Root, ".tmp");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Gives its content, then blocks until the gate opens, then ends: an upload caught mid-way.</summary>
internal sealed class GatedStream(byte[] content, Task gate) : ReadOnlyTestStream
{
    private int _position;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= content.Length)
        {
            await gate.WaitAsync(cancellationToken);
            return 0;
        }

        var count = Math.Min(buffer.Length, content.Length - _position);
        content.AsSpan(_position, count).CopyTo(buffer.Span);
        _position += count;
        return count;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Read asynchronously.");

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
}
