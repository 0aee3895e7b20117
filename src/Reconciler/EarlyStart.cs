namespace Berth.Reconciler;

/// <summary>
/// Work begun ahead of the call that needs it (issue #16: the engine's lists and the state file, read while
/// `berth apply` loads the desired state), which that call takes later, or never when the command stops
/// first.
/// </summary>
internal static class EarlyStart
{
    /// <summary>
    /// Runs <paramref name="work"/> on the thread pool from its first line (its synchronous part too, e.g. a
    /// decoder set up before the first await), and observes its failure, so that work nobody takes leaves no
    /// unobserved exception; the taker still sees the failure when it awaits the task.
    /// </summary>
    public static Task<T> Run<T>(Func<Task<T>> work)
    {
        var started = Task.Run(work);
        _ = started.ContinueWith(static task => _ = task.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return started;
    }
}
