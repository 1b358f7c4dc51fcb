namespace GrpcPlugins.Packaging;

/// <summary>Why a package, a manifest or a plugin configuration was refused.</summary>
public enum PackageProblem
{
    /// <summary>The file is not a readable zip archive.</summary>
    InvalidArchive,

    /// <summary>The package holds no <c>plugin.json</c> at its root.</summary>
    ManifestMissing,

    /// <summary><c>plugin.json</c> is not valid JSON, or a field is missing or malformed.</summary>
    ManifestInvalid,

    /// <summary>A file's SHA-256 differs from the one in <c>plugin.json</c>.</summary>
    ChecksumMismatch,

    /// <summary>A file listed in <c>plugin.json</c> is not in the package.</summary>
    FileMissing,

    /// <summary>The package holds a file that <c>plugin.json</c> does not list.</summary>
    FileNotListed,

    /// <summary>The package is unsigned, and unsigned packages are not allowed.</summary>
    Unsigned,

    /// <summary>The signature does not match the manifest.</summary>
    SignatureInvalid,

    /// <summary>The package is signed with a key that is not trusted.</summary>
    UntrustedKey,

    /// <summary>The package does not support this host's version.</summary>
    IncompatibleHost,

    /// <summary>An entry's path is absolute, or escapes the install folder.</summary>
    UnsafePath,

    /// <summary>An entry is a symbolic or hard link.</summary>
    LinkEntry,

    /// <summary>An entry, or the whole package, is larger than the limits allow (a zip bomb).</summary>
    TooLarge,

    /// <summary>A plugin of that name is installed already.</summary>
    DuplicateName,

    /// <summary>A plugin configuration does not match the package's config schema.</summary>
    ConfigInvalid,

    /// <summary>No plugin of that name is installed.</summary>
    NotInstalled,

    /// <summary>The package is the installed version of its plugin or an older one; only a newer version upgrades in place.</summary>
    NotNewer,

    /// <summary>The new version of an upgrade failed to start or failed its health check, and was rolled back.</summary>
    UpgradeFailed,

    /// <summary>Two entries of the package have the same name: the package is malformed (a refusal, not a conflict with what is installed).</summary>
    DuplicateEntry,

    /// <summary>An upgrade asks for more than the installed version may use (resources, files, network, callbacks) and the request did not accept it.</summary>
    PermissionsWiden,
}

/// <summary>
/// A refused package or configuration. It is a <see cref="PluginException"/>, so a host answers it like any plugin
/// error; <see cref="Problem"/> says exactly what was wrong, and the message says how to fix it.
/// </summary>
public sealed class PackageException : PluginException
{
    /// <summary>Creates the error.</summary>
    /// <param name="problem">What was wrong.</param>
    /// <param name="message">What happened and how to fix it.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public PackageException(PackageProblem problem, string message, Exception? innerException = null)
        : base(CodeOf(problem), message, innerException)
    {
        Problem = problem;
        ErrorSource = PluginErrorSource.Host;
    }

    /// <summary>What was wrong.</summary>
    public PackageProblem Problem { get; }

    /// <summary>The reasons, one per line, when there are several (such as every schema error of a configuration). Defaults to empty.</summary>
    public IReadOnlyList<string> Reasons { get; init; } = [];

    private static PluginErrorCode CodeOf(PackageProblem problem) => problem switch
    {
        PackageProblem.DuplicateName => PluginErrorCode.AlreadyExists,
        PackageProblem.NotInstalled => PluginErrorCode.NotFound,
        PackageProblem.IncompatibleHost or PackageProblem.NotNewer or PackageProblem.UpgradeFailed or PackageProblem.PermissionsWiden => PluginErrorCode.FailedPrecondition,
        _ => PluginErrorCode.InvalidArgument,
    };
}
