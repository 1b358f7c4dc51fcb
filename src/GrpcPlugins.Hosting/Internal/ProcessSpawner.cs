namespace GrpcPlugins.Hosting.Internal;

/// <summary>
/// Starts plugin processes from one thread that lives as long as the host. On Linux a plugin asks for a signal when
/// its parent dies (PR_SET_PDEATHSIG), and the kernel sends it when the thread that forked the plugin exits, not the
/// process: started from a pool thread, a plugin would be killed whenever that thread retired.
/// </summary>
internal static class ProcessSpawner
{
    private static readonly System.Collections.Concurrent.BlockingCollection<(System.Diagnostics.Process Process, TaskCompletionSource Started)> Requests = [];
    private static readonly Lazy<Thread> Spawner = new(StartThread);

    /// <summary>Starts the process on the spawner thread; throws what <see cref="System.Diagnostics.Process.Start()"/> throws.</summary>
    public static Task StartAsync(System.Diagnostics.Process process)
    {
        _ = Spawner.Value;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Requests.Add((process, started));
        return started.Task;
    }

    private static Thread StartThread()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "GrpcPlugins process spawner" };
        thread.Start();
        return thread;
    }

    private static void Run()
    {
        foreach (var (process, started) in Requests.GetConsumingEnumerable())
        {
            try
            {
                process.Start();
                started.SetResult();
            }
            catch (Exception ex)
            {
                started.SetException(ex);
            }
        }
    }
}
