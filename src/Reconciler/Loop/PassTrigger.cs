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
}
