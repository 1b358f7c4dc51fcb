namespace GrpcPlugins;

/// <summary>
/// The typed reason a plugin call failed. Each value matches the wire enum
/// <see cref="Plugin.V1.ErrorCode"/> by name and number.
/// </summary>
public enum PluginErrorCode
{
    /// <summary>A bug or an unexpected failure. Also used when a plugin gave no code.</summary>
    Internal = Plugin.V1.ErrorCode.Internal,

    /// <summary>The request was malformed.</summary>
    InvalidArgument = Plugin.V1.ErrorCode.InvalidArgument,

    /// <summary>The named thing does not exist.</summary>
    NotFound = Plugin.V1.ErrorCode.NotFound,

    /// <summary>The thing to create exists already.</summary>
    AlreadyExists = Plugin.V1.ErrorCode.AlreadyExists,

    /// <summary>The credentials are missing or invalid.</summary>
    Unauthenticated = Plugin.V1.ErrorCode.Unauthenticated,

    /// <summary>The caller may not do this.</summary>
    PermissionDenied = Plugin.V1.ErrorCode.PermissionDenied,

    /// <summary>The plugin, or something it depends on, is down; trying again later may work.</summary>
    Unavailable = Plugin.V1.ErrorCode.Unavailable,

    /// <summary>The call's deadline passed.</summary>
    Timeout = Plugin.V1.ErrorCode.Timeout,

    /// <summary>The caller cancelled the call.</summary>
    Cancelled = Plugin.V1.ErrorCode.Cancelled,

    /// <summary>The plugin does not implement this call or option.</summary>
    NotSupported = Plugin.V1.ErrorCode.NotSupported,

    /// <summary>The system is not in a state that allows the call.</summary>
    FailedPrecondition = Plugin.V1.ErrorCode.FailedPrecondition,

    /// <summary>A quota, a disk or a limit ran out.</summary>
    ResourceExhausted = Plugin.V1.ErrorCode.ResourceExhausted,
}

/// <summary>Whose fault an error is, after Grafana's ErrorSource.</summary>
public enum PluginErrorSource
{
    /// <summary>The plugin itself failed or refused.</summary>
    Plugin = GrpcPlugins.Plugin.V1.ErrorSource.Plugin,

    /// <summary>Something the plugin depends on (a disk, a remote server) failed.</summary>
    Downstream = GrpcPlugins.Plugin.V1.ErrorSource.Downstream,

    /// <summary>The host sent something wrong, or could not reach the plugin.</summary>
    Host = GrpcPlugins.Plugin.V1.ErrorSource.Host,
}
