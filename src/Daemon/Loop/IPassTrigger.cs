using Berth.Reconciler.Loop;

namespace Berth.Daemon.Loop;

/// <summary>How webhooks and `berth sync` ask the loop for a pass.</summary>
public interface IPassTrigger
{
    /// <summary>Asks for a pass as soon as the loop is free; returns at once. Requests coalesce.</summary>
    void Request(PassTrigger trigger);

    /// <summary>True while a pass runs: what the engine reports then is mostly the pass's own doing.</summary>
    bool PassRunning { get; }

    /// <summary>
    /// Asks for a pass and waits for the result of the first pass that starts after this call (not the
    /// one running now). Cancelled (<see cref="OperationCanceledException"/>) when the daemon stops first.
    /// </summary>
    Task<PassRecord> RequestAndWaitAsync(PassTrigger trigger, CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="RequestAndWaitAsync(PassTrigger, CancellationToken)"/>, with options for that pass.
    /// Requests coalesce, and so do their options: if any request a pass serves asked to retry failed
    /// revisions, that pass retries them.
    /// </summary>
    Task<PassRecord> RequestAndWaitAsync(PassTrigger trigger, PassOptions options, CancellationToken cancellationToken);
}
