namespace Berth.Reconciler.Loop;

/// <summary>
/// One reconcile pass: fetch, load, observe, plan, execute, and report. The daemon's loop calls it,
/// never two at once (single-flight), and turns the result into scheduling.
/// </summary>
public interface IReconcilePass
{
    /// <summary>Runs one pass.</summary>
    /// <param name="trigger">What asked for this pass (for logs and status only: a pass behaves the same whatever the trigger).</param>
    /// <param name="cancellationToken">
    /// Cancelled when the daemon stops. Honour it between steps: finish the current rollout step (never
    /// leave a service with neither its old nor its new container running) and then return or throw
    /// <see cref="OperationCanceledException"/>. The host waits a bounded time (reconcile.shutdownTimeout) for that.
    /// </param>
    /// <returns>The result. Throwing is allowed: the loop logs it, counts it and treats it as a transient failure.</returns>
    Task<PassResult> RunAsync(PassTrigger trigger, CancellationToken cancellationToken);

    /// <summary>Runs one pass with what the request asked for (e.g. `berth sync --retry-failed`).</summary>
    /// <remarks>A pass that has no options to honour need not implement this: it runs as <see cref="RunAsync(PassTrigger, CancellationToken)"/>.</remarks>
    Task<PassResult> RunAsync(PassTrigger trigger, PassOptions options, CancellationToken cancellationToken) =>
        RunAsync(trigger, cancellationToken);
}

/// <summary>What the requests a pass serves asked for, besides a pass.</summary>
/// <param name="RetryFailed">
/// Re-apply the services a revision failed for, as `berth apply --retry-failed` does (`berth sync
/// --retry-failed`). Default false: they wait for a new revision.
/// </param>
public sealed record PassOptions(bool RetryFailed = false)
{
    public static PassOptions Default { get; } = new();
}
