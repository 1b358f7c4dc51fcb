using GrpcPlugins.TestSupport;

namespace FileTransfer.FunctionalTests;

/// <summary>
/// The package-signing format is enough for another language: a package signed by an independent implementation
/// (tests/tools/sign_package.py, Python's <c>cryptography</c>, following src/GrpcPlugins.Packaging/README.md
/// "Signature format") is accepted by <c>grpcplugins verify</c>, and refused once its manifest is changed.
/// </summary>
public sealed class SignatureInteropTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private static string Signer => Path.Combine(HostProcess.RepoRoot, "tests", "tools", "sign_package.py");

    [Fact]
    public async Task Verify_PackageSignedByPython_AcceptedWithItsKey_RefusedWhenChangedAfterSigning()
    {
        var work = Directory.CreateTempSubdirectory("ft-interop-").FullName;
        var unsigned = await PluginPackageTests.PackAuditCopyAsync(work, sign: false);
        var signed = Path.Combine(work, "python-signed.zip");
        var tampered = Path.Combine(work, "python-tampered.zip");

        var sign = await ProcessRunner.RunAsync("python3", [Signer, unsigned, signed, Path.Combine(work, "python")], Timeout, work);
        var signTampered = await ProcessRunner.RunAsync("python3", [Signer, unsigned, tampered, Path.Combine(work, "python-other"), "--tamper"], Timeout, work);
        var verify = await PluginPackageTests.RunToolAsync(work, "verify", signed, "--trusted-key", "python.pub.pem").WaitAsync(Timeout);
        var verifyTampered = await PluginPackageTests.RunToolAsync(work, "verify", tampered, "--trusted-key", "python-other.pub.pem").WaitAsync(Timeout);
        var otherKey = await PluginPackageTests.RunToolAsync(work, "verify", signed, "--trusted-key", "python-other.pub.pem").WaitAsync(Timeout);

        Assert.True(sign.ExitCode == 0, sign.Stderr);
        Assert.True(signTampered.ExitCode == 0, signTampered.Stderr);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains($"signed by trusted key {sign.Stdout.Trim()}", verify.Stdout, StringComparison.Ordinal);
        Assert.NotEqual(0, verifyTampered.ExitCode);
        Assert.Contains("its signature does not match plugin.json", verifyTampered.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, otherKey.ExitCode);
        Assert.Contains("does not trust", otherKey.Stderr, StringComparison.Ordinal);
    }
}
