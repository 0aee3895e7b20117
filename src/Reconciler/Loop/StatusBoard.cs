using System.Collections.Immutable;

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
            var lastApplied = pass.Outcome is PassOutcome.Converged or PassOutcome.Changed && pass.Revision is not null
                ? new AppliedRevision(pass.Revision, now)
                : current.LastApplied;
            current = current with
            {
                LastAttempted = pass,
                LastApplied = lastApplied,
                Conditions = StatusConditions.PassCompleted(current.Conditions, pass, now),
                Services = services.IsDefault ? current.Services : Sorted(services),
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

    /// <summary>
    /// Replaces (or adds) one service's status while a pass runs, e.g. a rollout InProgress, so that
    /// `/status` shows progress during a long pass. The pass's final <see cref="PassResult.Services"/> wins.
    /// </summary>
    public void RecordServiceStatus(ServiceStatus service)
    {
        lock (gate)
        {
            current = current with
            {
                Services = Sorted(current.Services
                    .Where(existing => existing.Stack != service.Stack || existing.Service != service.Service)
                    .Append(service)),
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

    private static IReadOnlyList<ServiceStatus> Sorted(IEnumerable<ServiceStatus> services) =>
        [.. services.OrderBy(service => service.Stack, StringComparer.Ordinal).ThenBy(service => service.Service, StringComparer.Ordinal)];
}
