namespace FileTransfer.FunctionalTests;

/// <summary>
/// One file-transfer host with its default plugins, started once for the tests of a class (xunit runs them one at a
/// time) that neither stop its plugins nor need an empty store. Each host start costs seconds of CPU, so sharing it
/// keeps the suite inside CI's time. Its data folder is the only entry of a fresh folder (<see cref="Outside"/>), so a
/// test can check that nothing was written beside it.
/// </summary>
public sealed class SharedHost : IAsyncLifetime
{
    private HostProcess? _host;

    /// <summary>The folder that holds the host's data folder and nothing else.</summary>
    public string Outside { get; } = Directory.CreateTempSubdirectory("ft-outside-").FullName;

    internal HostProcess Host => _host ?? throw new InvalidOperationException("The shared host is used before xunit started it.");

    /// <inheritdoc />
    public async ValueTask InitializeAsync() =>
        _host = await HostProcess.StartAsync(Directory.CreateDirectory(Path.Combine(Outside, "data")).FullName);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}
