namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// The state machine of one supervised plugin, shared by its supervisor (which changes it) and its call router (which
/// reads it, and waits for it to change): the current instance, the state as last set, the restarts so far and why it
/// last went down. The one status a <see cref="PluginClient"/> keeps.
/// </summary>
internal sealed class SupervisionState(PluginOptions options, PluginInstance instance)
{
    private readonly Lock _lock = new();
    private PluginState _state = PluginState.Running;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _restartCount;
    private string? _lastError;

    /// <summary>The instance of the plugin's latest start.</summary>
    public PluginInstance Instance { get; set; } = instance;

    /// <summary>The state as last recorded, before looking at the process: Stopping and Stopped come only from an operator.</summary>
    public PluginState Recorded => _state;

    /// <summary>The state callers see: a plugin set running whose process has exited is restarting, or crashed.</summary>
    public PluginState Current
    {
        get
        {
            var state = _state;
            return state == PluginState.Running && Instance.Exited.IsCompleted
                ? (options.RestartOnCrash ? PluginState.Starting : PluginState.Crashed)
                : state;
        }
    }

    /// <summary>Restarts since the first start, by the supervisor or an operator.</summary>
    public int RestartCount => Volatile.Read(ref _restartCount);

    /// <summary>Why the plugin last went down or failed to restart, with its last stderr lines; null while it never has.</summary>
    public string? LastError
    {
        get => Volatile.Read(ref _lastError);
        set => Volatile.Write(ref _lastError, value);
    }

    /// <summary>Completes at the next change of state (or hand-over); read it before reading the state, then wait.</summary>
    public Task Changed
    {
        get
        {
            lock (_lock)
            {
                return _changed.Task;
            }
        }
    }

    /// <summary>Counts a restart and returns how many there have been.</summary>
    public int CountRestart() => Interlocked.Increment(ref _restartCount);

    /// <summary>Moves to <paramref name="state"/> (null keeps the state) and wakes whatever waits for a change.</summary>
    public void MoveTo(PluginState? state)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _state = state ?? _state;
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }
}
