using System.Text;
using System.Text.Json.Nodes;

namespace GrpcPlugins.Packaging.Tests;

public sealed class PackageInstallerTests : IDisposable
{
    private readonly TestPackages _packages = new();

    public void Dispose() => _packages.Dispose();

    [Fact]
    public void Install_SignedByTrustedKey_FilesInPlaceAndStateSaved()
    {
        var package = _packages.Pack();
        var directory = new PluginDirectory(_packages.PluginsDir, _packages.Trusting());

        var installed = directory.Install(package);
        var reopened = new PluginDirectory(_packages.PluginsDir, _packages.Trusting()).Get("sample");

        Assert.Equal("sample", installed.Manifest.Name);
        Assert.Equal("not really a dll", File.ReadAllText(Path.Combine(installed.Folder, "Sample.dll")));
        Assert.Equal([1, 2, 3, 4], File.ReadAllBytes(Path.Combine(installed.Folder, "lib", "data.bin")));
        Assert.Equal(InstalledStatus.Stopped, reopened.State.Status);
        Assert.Equal(8080, reopened.State.Config["port"]!.GetValue<int>());
        Assert.Equal(["sample"], Directory.EnumerateDirectories(_packages.PluginsDir).Select(Path.GetFileName));
    }

    [Fact]
    public void StatusAndConfig_AfterReopen_Held()
    {
        var directory = new PluginDirectory(_packages.PluginsDir, _packages.Trusting());
        directory.Install(_packages.Pack());

        directory.SetStatus("sample", InstalledStatus.Running);
        directory.SetConfig("sample", new JsonObject { ["port"] = 9000, ["name"] = "x" });
        var bad = Assert.Throws<PackageException>(() => directory.SetConfig("sample", new JsonObject { ["port"] = "not a number" }));
        var reopened = new PluginDirectory(_packages.PluginsDir, _packages.Trusting()).Get("sample");

        Assert.Equal(PackageProblem.ConfigInvalid, bad.Problem);
        Assert.Contains("'port': integer expected", bad.Message);
        Assert.Equal(InstalledStatus.Running, reopened.State.Status);
        Assert.Equal(9000, reopened.State.Config["port"]!.GetValue<int>());
        Assert.Empty(Directory.EnumerateFiles(_packages.PluginsDir, "*.tmp-*"));
    }

    [Fact]
    public void Uninstall_Installed_FolderAndStateGone()
    {
        var directory = new PluginDirectory(_packages.PluginsDir, _packages.Trusting());
        directory.Install(_packages.Pack());

        directory.Uninstall("sample");
        var again = Assert.Throws<PackageException>(() => directory.Uninstall("sample"));

        Assert.Empty(directory.List());
        Assert.Null(directory.Store.Get("sample"));
        Assert.Equal(PackageProblem.NotInstalled, again.Problem);
        Assert.Equal(PluginErrorCode.NotFound, again.Code);
    }

    [Fact]
    public void Install_TamperedFile_ChecksumMismatch()
    {
        var package = _packages.Rewrite(_packages.Pack(), (name, content) => name == "Sample.dll" ? Encoding.UTF8.GetBytes("evil code") : content);

        var error = AssertRefused(package, PackageProblem.ChecksumMismatch);

        Assert.Contains("\"Sample.dll\" has SHA-256", error.Message);
        Assert.Contains("tampered", error.Message);
    }

    [Fact]
    public void Install_ManifestChecksumWrong_ChecksumMismatch()
    {
        var package = _packages.Rewrite(_packages.Pack(sign: false), (name, content) => name == "plugin.json" ? WithManifest(content, m => m["files"]!["lib/data.bin"] = new string('0', 64)) : content);

        AssertRefused(package, PackageProblem.ChecksumMismatch, allowUnsigned: true);
    }

    [Fact]
    public void Install_ManifestChangedAfterSigning_SignatureInvalid()
    {
        var package = _packages.Rewrite(_packages.Pack(), (name, content) => name == "plugin.json" ? WithManifest(content, m => m["priority"] = 1) : content);

        var error = AssertRefused(package, PackageProblem.SignatureInvalid);

        Assert.Contains("signature does not match", error.Message);
    }

    [Fact]
    public void Install_SignedByUntrustedKey_UntrustedKey()
    {
        var package = _packages.Pack();
        var stranger = PackageSigner.CreateKey().PublicKeyPem;

        var error = AssertRefused(package, PackageProblem.UntrustedKey, options: new PackageVerifierOptions { TrustedKeys = [stranger] });

        Assert.Contains(PackageSigner.KeyId(_packages.PublicKey), error.Message);
    }

    [Fact]
    public void Install_UnsignedWhenNotAllowed_Unsigned()
    {
        var error = AssertRefused(_packages.Pack(sign: false), PackageProblem.Unsigned);

        Assert.Contains("not signed", error.Message);
    }

    [Fact]
    public void Install_UnsignedWhenAllowed_Installed()
    {
        var directory = new PluginDirectory(_packages.PluginsDir, _packages.Trusting(allowUnsigned: true));

        var installed = directory.Install(_packages.Pack(sign: false));

        Assert.Null(installed.Manifest.Signature);
    }

    [Theory]
    [InlineData("../evil.txt", PackageProblem.UnsafePath, "zip-slip")]
    [InlineData("lib/../../evil.txt", PackageProblem.UnsafePath, "zip-slip")]
    [InlineData("/etc/evil.txt", PackageProblem.UnsafePath, "absolute")]
    [InlineData("C:/evil.txt", PackageProblem.UnsafePath, "absolute")]
    [InlineData("lib\\evil.txt", PackageProblem.UnsafePath, "'/'")]
    [InlineData("Sample.DLL", PackageProblem.DuplicateEntry, "twice")]
    public void Install_BadEntryName_Refused(string entry, PackageProblem problem, string words)
    {
        var package = _packages.Rewrite(_packages.Pack(), (_, content) => content, (entry, "x"u8.ToArray(), TestPackages.RegularFile));

        var error = AssertRefused(package, problem);

        Assert.Contains(words, error.Message);
        Assert.False(File.Exists(Path.Combine(_packages.Root, "evil.txt")));
    }

    [Fact]
    public void Install_SymlinkEntry_LinkEntry()
    {
        var symlink = (0xA000 | 0b111_111_111) << 16;
        var package = _packages.Rewrite(_packages.Pack(), (_, content) => content, ("lib/passwd", "/etc/passwd"u8.ToArray(), symlink));

        var error = AssertRefused(package, PackageProblem.LinkEntry);

        Assert.Contains("symbolic link", error.Message);
    }

    [Fact]
    public void Install_EntryPastLimit_TooLarge()
    {
        // 8 MiB of zeros compresses to a few KiB: a small zip bomb against a 1 MiB limit.
        var package = _packages.Rewrite(_packages.Pack(sign: false), (name, content) => name == "lib/data.bin" ? new byte[8 * 1024 * 1024] : content);

        var error = AssertRefused(package, PackageProblem.TooLarge, options: new PackageVerifierOptions { AllowUnsigned = true, MaxEntryBytes = 1024 * 1024 });

        Assert.Contains("zip bomb", error.Message);
    }

    [Fact]
    public void Install_TotalPastLimit_TooLarge()
    {
        var package = _packages.Pack(sign: false);

        AssertRefused(package, PackageProblem.TooLarge, options: new PackageVerifierOptions { AllowUnsigned = true, MaxTotalBytes = 10 });
    }

    [Fact]
    public void Install_TooManyEntries_TooLarge()
    {
        AssertRefused(_packages.Pack(sign: false), PackageProblem.TooLarge, options: new PackageVerifierOptions { AllowUnsigned = true, MaxEntries = 2 });
    }

    [Fact]
    public void Install_NoManifest_ManifestMissing()
    {
        var package = _packages.Rewrite(_packages.Pack(), (name, content) => name == "plugin.json" ? null : content);

        var error = AssertRefused(package, PackageProblem.ManifestMissing);

        Assert.Contains("grpcplugins pack", error.Message);
    }

    [Fact]
    public void Install_MalformedManifest_ManifestInvalid()
    {
        var package = _packages.Rewrite(_packages.Pack(), (name, content) => name == "plugin.json" ? "{\"name\": "u8.ToArray() : content);

        var error = AssertRefused(package, PackageProblem.ManifestInvalid);

        Assert.Contains("not valid JSON", error.Message);
    }

    [Fact]
    public void Install_NotAZip_InvalidArchive()
    {
        var path = Path.Combine(_packages.Root, "garbage.zip");
        File.WriteAllText(path, "this is not a zip");

        AssertRefused(path, PackageProblem.InvalidArchive);
    }

    [Fact]
    public void Install_IncompatibleHostVersion_IncompatibleHost()
    {
        var manifest = TestPackages.Manifest();
        manifest["hostVersions"] = ">= 2.0";

        var error = AssertRefused(_packages.Pack(manifest), PackageProblem.IncompatibleHost);

        Assert.Contains("\">= 2.0\"", error.Message);
        Assert.Contains("1.0.0", error.Message);
        Assert.Equal(PluginErrorCode.FailedPrecondition, error.Code);
    }

    [Fact]
    public void Install_NoSharedApiVersion_IncompatibleHost()
    {
        var manifest = TestPackages.Manifest();
        manifest["apiVersions"] = new JsonArray("v7");

        var error = AssertRefused(_packages.Pack(manifest), PackageProblem.IncompatibleHost);

        Assert.Contains("v7", error.Message);
    }

    [Fact]
    public void Install_NameInstalledAlready_DuplicateName()
    {
        var directory = new PluginDirectory(_packages.PluginsDir, _packages.Trusting());
        directory.Install(_packages.Pack());
        var manifest = TestPackages.Manifest();
        manifest["version"] = "2.0.0";

        var error = AssertRefused(_packages.Pack(manifest), PackageProblem.DuplicateName);

        Assert.Equal(PluginErrorCode.AlreadyExists, error.Code);
        Assert.Equal("1.0.0", directory.Get("sample").Manifest.Version.ToString());
    }

    [Fact]
    public void Install_NameTakenByHost_DuplicateName()
    {
        var directory = new PluginDirectory(_packages.PluginsDir, _packages.Trusting());
        var before = _packages.Snapshot();

        var error = Assert.Throws<PackageException>(() => directory.Install(_packages.Pack(), name => name == "sample"));

        Assert.Equal(PackageProblem.DuplicateName, error.Problem);
        Assert.Equal(before, _packages.Snapshot());
    }

    [Fact]
    public void Install_UnlistedFile_FileNotListed()
    {
        var package = _packages.Rewrite(_packages.Pack(), (_, content) => content, ("extra.sh", "rm -rf /"u8.ToArray(), TestPackages.RegularFile));

        AssertRefused(package, PackageProblem.FileNotListed);
    }

    [Fact]
    public void Install_ListedFileMissing_FileMissing()
    {
        var package = _packages.Rewrite(_packages.Pack(), (name, content) => name == "lib/data.bin" ? null : content);

        AssertRefused(package, PackageProblem.FileMissing);
    }

    /// <summary>Installs into a plugins folder that already holds one plugin, and checks the refusal left it byte for byte as it was.</summary>
    private PackageException AssertRefused(string package, PackageProblem problem, bool allowUnsigned = false, PackageVerifierOptions? options = null)
    {
        options ??= _packages.Trusting(allowUnsigned);
        var directory = new PluginDirectory(_packages.PluginsDir, options);
        if (directory.List().Count == 0)
        {
            var keep = TestPackages.Manifest("already-there");
            new PluginDirectory(_packages.PluginsDir, _packages.Trusting()).Install(_packages.Pack(keep));
        }

        var before = _packages.Snapshot();

        var error = Assert.Throws<PackageException>(() => directory.Install(package));

        Assert.Equal(problem, error.Problem);
        Assert.Equal(before, _packages.Snapshot());
        Assert.DoesNotContain("\n", error.Message.Trim());
        return error;
    }

    private static byte[] WithManifest(byte[] content, Action<JsonObject> change)
    {
        var json = JsonNode.Parse(content)!.AsObject();
        change(json);
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }
}
