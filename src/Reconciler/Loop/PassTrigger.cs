namespace Berth.Reconciler.Loop;

/// <summary>What asked for a reconcile pass. Recorded in the status history and the pass log line.</summary>
public enum PassTrigger
{
    /// <summary>The immediate pass when the daemon starts.</summary>
    Startup,
    /// <summary>The poll interval (with jitter) elapsed, or a retry after a failure came due.</summary>
    Timer,
    /// <summary>A verified push event for the configured branch.</summary>
    Webhook,
    /// <summary>`berth sync`.</summary>
    Cli,
    /// <summary>
    /// A front, or a replica behind one, started outside a pass (a reboot, an engine restart, a restart
    /// policy): the front's rules must follow at once, not at the next interval.
    /// </summary>
    EngineEvent,
    /// <summary>
    /// Not a trigger of this process: a pass of an earlier daemon process, read back from berth's state
    /// file at start (<see cref="PassRecord.Number"/> 0, duration unknown).
    /// </summary>
    Restored,
}
