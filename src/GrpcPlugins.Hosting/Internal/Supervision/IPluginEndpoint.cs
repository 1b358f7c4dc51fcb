namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// What a <see cref="PluginInstance"/> runs on: a child process it started (<see cref="PluginProcess"/>), or a connection
/// to a plugin service that runs on its own (<see cref="RemoteEndpoint"/>). Supervision sees both the same way: it ends
/// (<see cref="Exited"/>) when the process exits or the host gives the connection up, and then a new instance starts.
/// </summary>
internal interface IPluginEndpoint : IAsyncDisposable
{
    /// <summary>The process id; 0 for a remote plugin, whose process the host neither owns nor sees.</summary>
    int Id { get; }

    /// <summary>Completes when the process exits, or when the host gives up the remote connection.</summary>
    Task<int> Exited { get; }

    /// <summary>How the process's sandbox is enforced; <see cref="SandboxReport.None"/> for a remote plugin.</summary>
    SandboxReport Sandbox { get; }

    /// <summary>The last lines on stderr; empty for a remote plugin, whose output the host does not see.</summary>
    string StderrTail { get; }

    /// <summary>The remote plugin's address; null for a local process.</summary>
    string? RemoteAddress { get; }

    /// <summary>Why it ended, once it has.</summary>
    string DescribeExit();

    /// <summary>Ends it at once: kills the process, or drops the remote connection.</summary>
    void Kill();

    /// <summary>Tells a local plugin that its host is going (closes its stdin); drops a remote connection.</summary>
    void CloseStdin();

    /// <summary>An error about this plugin, saying which process or address it is.</summary>
    PluginException Failure(PluginErrorCode code, string what);
}
