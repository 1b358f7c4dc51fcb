namespace FileTransfer.FunctionalTests;

/// <summary>One host started for a whole test class (<c>IClassFixture&lt;SharedHost&gt;</c>), for tests that do not disturb each other.</summary>
public sealed class SharedHost : IAsyncLifetime
{
    private HostProcess? _host;

    /// <summary>The running host.</summary>
    internal HostProcess Host => _host ?? throw new InvalidOperationException("The shared host has not started.");

    /// <inheritdoc />
    public async ValueTask InitializeAsync() => _host = await HostProcess.StartAsync();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}
