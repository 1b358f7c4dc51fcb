namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// A connection to a plugin that runs as its own service: nothing to start or kill. It "exits" when the host gives the
/// connection up (the plugin stopped answering health checks, or the host stops it), and supervision then dials again.
/// </summary>
internal sealed class RemoteEndpoint(string name, string address) : IPluginEndpoint
{
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile string? _reason;

    public int Id => 0;

    public Task<int> Exited => _exited.Task;

    public SandboxReport Sandbox => SandboxReport.None;

    public string StderrTail => string.Empty;

    public string? RemoteAddress => address;

    /// <summary>Why the server's certificate was last refused (pin or CA), for the start's error message; null if never.</summary>
    public string? CertificateRejection { get; set; }

    /// <summary>Whether the host accepted the server's certificate in a TLS handshake: what follows is the service's doing.</summary>
    public bool ServerAccepted { get; set; }

    public string DescribeExit() => Exited.IsCompleted ? _reason ?? "was disconnected" : "is connected";

    /// <summary>Gives the connection up, saying why.</summary>
    public void Disconnect(string reason)
    {
        _reason ??= reason;
        _exited.TrySetResult(-1);
    }

    public void Kill() => Disconnect("stopped answering, so the host dropped its connection");

    public void CloseStdin() => Disconnect("was disconnected by the host");

    public PluginException Failure(PluginErrorCode code, string what) =>
        new(code, $"Plugin '{name}' (remote, {address}) {what}") { ErrorSource = PluginErrorSource.Plugin, PluginName = name };

    public ValueTask DisposeAsync()
    {
        Disconnect("was disconnected by the host");
        return ValueTask.CompletedTask;
    }
}
