using System.Text.Json.Nodes;

namespace GrpcPlugins.Packaging.Tests;

/// <summary>Upgrades in a plugins folder: the new version beside the old, one atomic switch, and what a crash at each step leaves.</summary>
public sealed class UpgradeTests : IDisposable
{
    private readonly TestPackages _packages = new();

    public void Dispose() => _packages.Dispose();

    [Fact]
    public void Upgrade_NewerVersion_NewVersionInstalledConfigKeptOldFolderGone()
    {
        var directory = Open();
        directory.Install(_packages.Pack());
        directory.SetStatus("sample", InstalledStatus.Running);
        directory.SetConfig("sample", new JsonObject { ["port"] = 9000 });
        var oldFolder = directory.Get("sample").Folder;

        var upgraded = directory.Upgrade(_packages.Pack(Version("2.0.0", extraSetting: "mode")));
        Open().Upgrade(_packages.Pack(Version("3.0.0")));
        var reopened = Open().Get("sample");

        Assert.Equal("2.0.0", upgraded.Manifest.Version.ToString());
        Assert.False(Directory.Exists(oldFolder));
        Assert.Equal("3.0.0", reopened.Manifest.Version.ToString());
        Assert.Equal("3.0.0", reopened.State.Version);
        Assert.Equal(InstalledStatus.Running, reopened.State.Status);
        Assert.Equal(9000, reopened.State.Config["port"]!.GetValue<int>());
        Assert.Equal("fast", upgraded.State.Config["mode"]!.GetValue<string>());
        Assert.Equal([reopened.Folder], Directory.EnumerateDirectories(Path.Combine(_packages.PluginsDir, PackageInstaller.VersionsFolderName)));
        Assert.False(Directory.Exists(upgraded.Folder));
        Assert.Equal(["sample"], Open().List().Select(p => p.Manifest.Name));
        Assert.Equal("not really a dll", File.ReadAllText(Path.Combine(reopened.Folder, "Sample.dll")));
    }

    [Theory]
    [InlineData("1.0.0", "the same version")]
    [InlineData("0.9.0", "an older version")]
    public void StageUpgrade_SameOrOlderVersion_NotNewerSaysUninstallFirstAndNothingChanged(string version, string words)
    {
        var directory = Open();
        directory.Install(_packages.Pack());
        var package = _packages.Pack(Version(version));
        var before = _packages.Snapshot();

        var error = Assert.Throws<PackageException>(() => directory.StageUpgrade(package));

        Assert.Equal(PackageProblem.NotNewer, error.Problem);
        Assert.Equal(PluginErrorCode.FailedPrecondition, error.Code);
        Assert.Contains(words, error.Message, StringComparison.Ordinal);
        Assert.Contains("uninstall 'sample' first", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, _packages.Snapshot());
    }

    [Fact]
    public void StageUpgrade_OtherTypeOrNotInstalledOrConfigRefused_ClearErrorsAndNothingChanged()
    {
        var directory = Open();
        directory.Install(_packages.Pack());
        directory.SetConfig("sample", new JsonObject { ["name"] = "x" });
        var otherType = Version("2.0.0");
        otherType["types"] = new JsonArray("auth");
        var stricter = Version("2.0.0");
        stricter["configSchema"]!["properties"]!["name"] = new JsonObject { ["type"] = "integer" };
        var before = _packages.Snapshot();

        var typeError = Assert.Throws<PackageException>(() => directory.StageUpgrade(_packages.Pack(otherType)));
        var configError = Assert.Throws<PackageException>(() => directory.StageUpgrade(_packages.Pack(stricter)));
        var missing = Assert.Throws<PackageException>(() => directory.StageUpgrade(_packages.Pack(TestPackages.Manifest("other"))));

        Assert.Contains("keeps the plugin's types", typeError.Message, StringComparison.Ordinal);
        Assert.Equal(PackageProblem.ConfigInvalid, configError.Problem);
        Assert.Contains("'name': integer expected", configError.Message, StringComparison.Ordinal);
        Assert.Equal(PackageProblem.NotInstalled, missing.Problem);
        Assert.Equal(before, _packages.Snapshot());
    }

    [Fact]
    public void StageThenDiscard_OldVersionStaysAndFolderUnchanged()
    {
        var directory = Open();
        directory.Install(_packages.Pack());
        var before = _packages.Snapshot();

        var upgrade = directory.StageUpgrade(_packages.Pack(Version("2.0.0")));
        var stagedExists = File.Exists(Path.Combine(upgrade.Next.Folder, "Sample.dll"));
        var duringStage = directory.Get("sample").Manifest.Version.ToString();
        directory.DiscardUpgrade(upgrade);

        Assert.True(stagedExists);
        Assert.Equal("1.0.0", duringStage);
        Assert.Equal(before, Without(_packages.Snapshot(), PackageInstaller.VersionsFolderName));
    }

    [Fact]
    public void CrashBeforeCommit_OldVersionInstalledAndLeftoversRemovedAtNextStart()
    {
        var directory = Open();
        directory.Install(_packages.Pack());
        var before = _packages.Snapshot();
        directory.StageUpgrade(_packages.Pack(Version("2.0.0")));

        // The host died here: a new one opens the folder.
        var reopened = Open();
        var version = reopened.Get("sample").Manifest.Version.ToString();
        var removed = reopened.RemoveLeftovers();

        Assert.Equal("1.0.0", version);
        Assert.Single(removed);
        Assert.Equal(before, Without(_packages.Snapshot(), PackageInstaller.VersionsFolderName));
    }

    [Fact]
    public void CrashAfterCommitBeforeOldRemoved_NewVersionInstalledAndOldFolderRemovedAtNextStart()
    {
        var directory = Open();
        var old = directory.Install(_packages.Pack());
        var upgrade = directory.StageUpgrade(_packages.Pack(Version("2.0.0")));

        // The state write of CommitUpgrade happened, and the host died before the old folder was removed.
        directory.Store.Change("sample", s => s with { Version = "2.0.0", Folder = upgrade.Next.State.Folder });
        var reopened = Open();
        var version = reopened.Get("sample").Manifest.Version.ToString();
        var removed = reopened.RemoveLeftovers();

        Assert.Equal("2.0.0", version);
        Assert.Equal([old.Folder], removed);
        Assert.False(Directory.Exists(old.Folder));
        Assert.Equal("2.0.0", Open().Get("sample").Manifest.Version.ToString());
        Assert.Equal(["sample"], Open().List().Select(p => p.Manifest.Name));
    }

    [Fact]
    public void Uninstall_AfterUpgrade_EveryVersionGone()
    {
        var directory = Open();
        directory.Install(_packages.Pack());
        directory.Upgrade(_packages.Pack(Version("2.0.0")));

        directory.Uninstall("sample");
        var reinstalled = directory.Install(_packages.Pack());

        Assert.Equal("1.0.0", reinstalled.Manifest.Version.ToString());
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(_packages.PluginsDir, PackageInstaller.VersionsFolderName)));
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData(".versions/../../outside")]
    [InlineData("/etc")]
    [InlineData(".versions")]
    public void Get_StateNamesFolderOutsideVersions_RefusedNotFollowed(string folder)
    {
        var directory = Open();
        directory.Install(_packages.Pack());
        directory.Store.Change("sample", s => s with { Folder = folder });

        var error = Assert.Throws<PackageException>(() => Open().Get("sample"));

        Assert.Equal(PackageProblem.ManifestInvalid, error.Problem);
        Assert.Contains(".state.json", error.Message, StringComparison.Ordinal);
    }

    private PluginDirectory Open() => new(_packages.PluginsDir, _packages.Trusting());

    private static JsonObject Version(string version, string? extraSetting = null)
    {
        var manifest = TestPackages.Manifest();
        manifest["version"] = version;
        if (extraSetting is not null)
        {
            manifest["configSchema"]!["properties"]![extraSetting] = new JsonObject { ["type"] = "string", ["default"] = "fast" };
        }

        return manifest;
    }

    // The versions folder itself may stay behind, empty.
    private static string Without(string snapshot, string folder) =>
        string.Join('\n', snapshot.Split('\n').Where(line => line != folder));
}
