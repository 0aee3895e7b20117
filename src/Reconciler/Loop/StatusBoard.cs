using System.Collections.Immutable;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.State;

namespace Berth.Reconciler.Loop;

/// <summary>
/// The one place the daemon's status is kept: the loop records pass starts and results here, readers
/// get an immutable <see cref="StatusSnapshot"/>. Updates are rare (a few per pass), reads are cheap.
/// </summary>
public sealed class StatusBoard : IStatusSource
{
    /// <summary>How many passes the history keeps.</summary>
    public const int HistoryLength = 20;

    private readonly Lock gate = new();
    private StatusSnapshot current;

    public StatusBoard(string host, string version, DateTimeOffset startedAt)
    {
        current = new StatusSnapshot(
            host,
            version,
            startedAt,
            LastAttempted: null,
            LastApplied: null,
            StatusConditions.Initial(startedAt),
            Services: [],
            History: [],
            new LoopState(PassRunning: false, CurrentTrigger: null, CurrentPassStartedAt: null, NextPassDueAt: null, ConsecutiveFailures: 0, PassExceptions: 0));
    }

    /// <summary>
    /// At daemon start, from berth's state file: the last applied revision, the last attempt and the
    /// history as far as the state holds it, so a restart on a stalled tip (invalid commit, refused
    /// signature, failed revision) does not show "last applied: none yet". The state records only
    /// passes that reached the engine (applied, failed, refused), not git failures or invalid commits;
    /// restored passes carry number 0, trigger <see cref="PassTrigger.Restored"/> and no duration.
    /// Conditions stay "starting": they describe this process's passes. Rollout evidence is not in
    /// the state file and is not restored.
    /// </summary>
    public void RestoreFrom(AppliedState state)
    {
        var history = state.History.Take(HistoryLength).Select(Restored).ToList();
        lock (gate)
        {
            current = current with
            {
                LastApplied = state is { LastAppliedRevision: { } revision, LastAppliedAt: { } appliedAt }
                    ? new AppliedRevision(revision, appliedAt)
                    : current.LastApplied,
                LastAttempted = history.FirstOrDefault() ?? current.LastAttempted,
                History = [.. current.History, .. history],
            };
        }
    }

    /// <summary>A recorded pass, with the outcome and reason a live pass with that verdict reports (<see cref="PassVerdict.Describe"/>).</summary>
    private static PassRecord Restored(HistoryEntry entry)
    {
        var (outcome, reason) = PassVerdict.Describe(entry.Result);
        return new PassRecord(0, PassTrigger.Restored, entry.At, TimeSpan.Zero, outcome, entry.Revision, entry.Summary, reason);
    }

    public StatusSnapshot Current
    {
        get
        {
            lock (gate)
            {
                return current;
            }
        }
    }

    public void RecordPassStarted(PassTrigger trigger, DateTimeOffset startedAt)
    {
        lock (gate)
        {
            current = current with
            {
                Conditions = StatusConditions.PassStarted(current.Conditions, trigger, startedAt),
                Loop = current.Loop with { PassRunning = true, CurrentTrigger = trigger, CurrentPassStartedAt = startedAt, NextPassDueAt = null },
            };
        }
    }

    /// <param name="services">Default: the pass did not observe the host; keep the previous per-service status.</param>
    public void RecordPassCompleted(PassRecord pass, ImmutableArray<ServiceStatus> services, int consecutiveFailures, long passExceptions, DateTimeOffset now)
    {
        lock (gate)
        {
            var lastApplied = pass.Outcome.Succeeded() && pass.Revision is not null
                ? new AppliedRevision(pass.Revision, now)
                : current.LastApplied;
            current = current with
            {
                LastAttempted = pass,
                LastApplied = lastApplied,
                Conditions = StatusConditions.PassCompleted(current.Conditions, pass, now),
                Services = services.IsDefault ? current.Services : Sorted(CarryRolloutsForward(current.Services, services)),
                History = [pass, .. current.History.Take(HistoryLength - 1)],
                Loop = current.Loop with
                {
                    PassRunning = false,
                    CurrentTrigger = null,
                    CurrentPassStartedAt = null,
                    ConsecutiveFailures = consecutiveFailures,
                    PassExceptions = passExceptions,
                },
            };
        }
    }

    public void RecordNextPassDue(DateTimeOffset? dueAt)
    {
        lock (gate)
        {
            current = current with { Loop = current.Loop with { NextPassDueAt = dueAt } };
        }
    }

    /// <summary>
    /// A pass reports only the rollouts it ran itself: the next pass (nothing to do, or the failed
    /// revision skipped) reports none. A service keeps its last finished rollout, evidence included,
    /// until a newer rollout of that service replaces it; otherwise `/status` would forget a rollback
    /// one interval after it happened. A service that left the new list (left the spec) is gone with its rollout.
    /// </summary>
    private static IEnumerable<ServiceStatus> CarryRolloutsForward(IReadOnlyList<ServiceStatus> previous, IEnumerable<ServiceStatus> next)
    {
        var lastRollouts = previous
            .Where(service => service.LastRollout is not null)
            .ToDictionary(service => (service.Stack, service.Service), service => service.LastRollout);
        return next.Select(service => service.LastRollout is null && lastRollouts.TryGetValue((service.Stack, service.Service), out var last)
            ? service with { LastRollout = last }
            : service);
    }

    private static IReadOnlyList<ServiceStatus> Sorted(IEnumerable<ServiceStatus> services) =>
        [.. services.OrderBy(service => service.Stack, StringComparer.Ordinal).ThenBy(service => service.Service, StringComparer.Ordinal)];
}
