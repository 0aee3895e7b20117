using Berth.Daemon.Loop;
using Berth.Reconciler.Forge;
using Berth.Reconciler.Loop;
using Berth.Reconciler.Reconciliation;

namespace Berth.Daemon.Fleet;

/// <summary>
/// Reports this host's view of each commit under one context (`berth/HOST`), so hosts never overwrite
/// each other: pending when a pass starts applying a commit it has not reported yet, success when a
/// pass converged on it (healthy: the health gates passed), failure with the pass's one-line reason
/// when it refused the commit, a gate failed or the rollout was rolled back. Only changes are sent:
/// an idle pass on the same commit posts nothing. A transient failure (git or engine unreachable)
/// posts nothing either: the commit stays pending while the loop retries. A pass that did not get
/// as far as a commit (the fetch failed) has nothing to report on.
/// </summary>
public sealed class CommitStatusReporter(CommitStatusSender sender, string context, string host, string? targetUrl) : IPassCompletedListener, IApplyObserver
{
    private readonly Lock gate = new();
    private (string Revision, CommitState State)? lastReported;

    /// <summary>The context for a host: "berth/HOST" (or PREFIX/HOST with another prefix).</summary>
    public static string ContextFor(string prefix, string host) => $"{prefix}/{host}";

    public string Context => context;

    public void ApplyStarting(string revision)
    {
        // Only a commit this host has not reported on yet: a pass on the commit it already reported
        // (success or failure) re-applies it to repair drift, which is no news for the forge.
        lock (gate)
        {
            if (lastReported is { } last && last.Revision == revision)
            {
                return;
            }
        }

        Report(revision, CommitState.Pending, $"applying on {host}");
    }

    public void ApplyFinished(string revision, ApplyResult result)
    {
    }

    public void OnPassCompleted(PassRecord pass)
    {
        if (pass.Revision is not { } revision)
        {
            return;
        }

        CommitState? state = pass.Outcome switch
        {
            // A host of a later wave that waits for the earlier waves has not failed the commit: it has
            // not tried it. Red on the forge would say the commit is bad while it is only unproven.
            PassOutcome.Stalled when pass.Reason == Passes.GitOpsPass.WaveHeldReason => CommitState.Pending,
            PassOutcome.Converged or PassOutcome.Changed => CommitState.Success,
            PassOutcome.Stalled => CommitState.Failure,
            _ => null,
        };
        if (state is null)
        {
            return;
        }

        var description = state switch
        {
            CommitState.Success => $"converged and healthy on {host}",
            CommitState.Pending => $"waiting on {host}: {Essential(pass.Summary, revision)}",
            _ => $"{pass.Reason}: {Essential(pass.Summary, revision)}",
        };
        Report(revision, state.Value, description);
    }

    private void Report(string revision, CommitState state, string description)
    {
        lock (gate)
        {
            if (lastReported == (revision, state))
            {
                return;
            }

            lastReported = (revision, state);
        }

        sender.Enqueue(new CommitStatus(revision, context, state, description, targetUrl));
    }

    /// <summary>
    /// The pass's summary without what the status already says, so that the reason fits GitHub's 140
    /// characters: the status sits on the commit (no "0123456789ab: " prefix), and for an invalid commit
    /// the first error is the news ("commit … is invalid (N error(s)), keeping what runs; first: " goes).
    /// </summary>
    internal static string Essential(string summary, string revision)
    {
        var shortRevision = revision.Length > 12 ? revision[..12] : revision;
        var prefix = shortRevision + ": ";
        if (summary.StartsWith(prefix, StringComparison.Ordinal))
        {
            summary = summary[prefix.Length..];
        }

        const string FirstError = "; first: ";
        var first = summary.IndexOf(FirstError, StringComparison.Ordinal);
        return summary.StartsWith($"commit {shortRevision} is invalid", StringComparison.Ordinal) && first > 0
            ? summary[(first + FirstError.Length)..]
            : summary;
    }
}
